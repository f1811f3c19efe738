import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from moodcast.static_models import TRAINING_LOCK, staging_folder
from moodcast.training import (
    AUTO_MARGIN,
    FINETUNED_STAGING,
    FOLDS,
    LEGACY_FINETUNED_STAGING,
    best_threshold,
    train_heads,
)
from transforms.model_markers import ModelConfig
from transforms.ngram import WORDS_ONLY as WORDS
from transforms.ngram import ngram_features


def testbest_threshold_is_the_f1_optimal_cut_and_prefers_the_higher_of_ties():
    scores = np.array([0.1, 0.2, 0.3, 0.6, 0.7, 0.9])
    gold = np.array([False, False, True, False, True, True])
    cut, f1 = best_threshold(scores, gold)
    assert cut == 0.25 and f1 == 2 * 3 / (4 + 3)
    assert best_threshold(np.array([0.2, 0.8]), np.array([False, True])) == (0.5, 1.0)


def _rare_label_rows() -> pl.DataFrame:
    rng = np.random.default_rng(7)
    words = ["rain", "bus", "coffee", "desk", "lunch", "email", "train", "phone", "walk", "code"]
    texts, labels = [], []
    for i in range(120):
        chosen = list(rng.choice(words, size=5))
        positive = i % 8 == 0
        if positive or i % 17 == 0:
            chosen[int(rng.integers(5))] = "insomnia" if positive else "sleepy"
        texts.append(" ".join(chosen))
        labels.append(int(positive))
    return pl.DataFrame({"text": texts, "lang": ["en"] * 120, "sleep": labels})


def test_a_head_keeps_the_f1_optimal_cut_of_its_held_out_probabilities(tmp_path):
    rows = _rare_label_rows()
    no_model = ModelConfig(models={})
    (head,) = train_heads(rows, markers={}, config=no_model, out_dir=tmp_path, origin="t",
                          family="ngram")  # fmt: skip
    saved = json.loads(head.path.read_text())
    features = ngram_features(rows["text"].to_list())
    y = rows["sleep"].to_numpy()
    model = LogisticRegression(C=4, class_weight="balanced", solver="liblinear")
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
    held_out = cross_val_predict(model, features, y, cv=folds, method="predict_proba")[:, 1]
    cut, f1 = best_threshold(held_out, y.astype(bool))
    assert saved["threshold"] == cut != 0.5
    assert saved["cv_f1"] == round(f1, 4) == round(head.cv_f1, 4)


def test_a_words_only_head_names_its_recipe_and_an_unknown_recipe_is_refused(tmp_path):
    import pytest

    from moodcast.tagging import TaggingError
    from transforms.markers import read_head

    rows = _rare_label_rows()
    no_model = ModelConfig(models={})
    (head,) = train_heads(rows, markers={}, config=no_model, out_dir=tmp_path, origin="t",
                          family="ngram", recipe="ngram-words")  # fmt: skip
    loaded = read_head(head.path)
    assert loaded.model == "ngram-words" and max(loaded.indices) < 2**18
    with pytest.raises(TaggingError, match="ngram-v1, ngram-words"):
        train_heads(rows, markers={}, config=no_model, out_dir=tmp_path, origin="t",
                    family="ngram", recipe="ngram-v3")  # fmt: skip


def test_a_hybrid_head_scores_as_one_model_on_the_embedding_beside_the_ngrams(tmp_path):
    import pickle

    import pytest
    from scipy import sparse

    from transforms.embedding import load_encoder
    from transforms.markers import load_markers
    from transforms.model_markers import SourceError, encoder_languages
    from transforms.model_scoring import score_embeddings, score_texts

    rows = _rare_label_rows()
    encoder = load_encoder()
    (head,) = train_heads(rows, markers={}, config=ModelConfig(), out_dir=tmp_path, origin="t",
                          family="hybrid", recipe="ngram-words", encoder=encoder)  # fmt: skip
    assert head.rows == 120 and head.new_marker
    marker = load_markers(tmp_path)["sleep"]
    loaded = marker.heads["en"]
    assert (loaded.family, loaded.recipe, len(loaded.coef)) == ("hybrid", "ngram-words", 384)
    assert encoder_languages({"sleep": marker}, ModelConfig(), ["en", "es"]) == ["en"]

    texts = rows["text"].to_list()
    embeddings = encoder.encode(texts)
    features = sparse.hstack([embeddings, ngram_features(texts, "ngram-words")], format="csr")
    y = rows["sleep"].to_numpy()
    model = LogisticRegression(class_weight="balanced", solver="liblinear").fit(features, y)
    scored = ["insomnia again tonight", "coffee and a walk to the desk"]
    expected = model.predict_proba(
        sparse.hstack([encoder.encode(scored), ngram_features(scored, "ngram-words")])
    )[:, 1]
    found = score_texts(scored, lang="en", markers=pickle.loads(pickle.dumps({"sleep": marker})),
                        encoder=encoder)["sleep"]  # fmt: skip
    assert np.allclose(found, expected, atol=1e-4) and found[0] > found[1]
    assert score_texts(scored, lang="en", markers={"sleep": marker}, encoder=None) == {}
    with pytest.raises(SourceError, match="score_texts"):
        score_embeddings(encoder.encode(scored), lang="en", markers={"sleep": marker},
                         encoder=encoder)  # fmt: skip


def test_choose_family_keeps_ngram_unless_the_sentence_model_gains_more_than_the_margin():
    from moodcast.training import choose_family

    def chosen(ngram, embedding, hybrid):
        cv_f1 = {"ngram": ngram, "embedding": embedding, "hybrid": hybrid}
        return choose_family(cv_f1, margin=0.02)

    assert chosen(0.70, 0.715, 0.71) == "ngram"
    assert chosen(0.70, 0.73, 0.74) == "hybrid"
    assert chosen(0.70, 0.74, 0.74) == "embedding"
    assert chosen(0.70, 0.75, 0.715) == "embedding"
    assert chosen(0.80, 0.75, 0.79) == "ngram"
    assert choose_family({"ngram": 0.70, "embedding": 0.701}, margin=0.0) == "embedding"
    assert choose_family({"ngram": 0.5}) == "ngram"


def _coded_rows() -> pl.DataFrame:
    """Labelled by a character pattern an encoder blurs: a positive's product code ends in
    `zqx`, a negative's in `xqz`; the words around it are drawn alike for both."""
    rng = np.random.default_rng(3)
    words = ["order", "shipped", "late", "box", "thanks", "refund", "arrived", "item", "today"]
    texts, labels = [], []
    for i in range(80):
        positive = i % 4 == 0
        stem = "".join(rng.choice(list("bdfgklmnprstvw"), size=4))
        code = f"{stem}{'zqx' if positive else 'xqz'}"
        chosen = list(rng.choice(words, size=2))
        chosen.insert(int(rng.integers(3)), code)
        texts.append(" ".join(chosen))
        labels.append(int(positive))
    return pl.DataFrame({"text": texts, "lang": ["en"] * 80, "coded": labels})


def test_auto_keeps_ngram_where_a_character_pattern_decides_and_writes_that_familys_head(
    tmp_path,
):
    from transforms.embedding import load_encoder
    from transforms.markers import read_head

    rows = _coded_rows()
    encoder = load_encoder()
    kwargs = {"markers": {}, "config": ModelConfig(), "origin": "t", "encoder": encoder}
    (head,) = train_heads(rows, out_dir=tmp_path / "auto", family="auto", **kwargs)
    assert head.family == "ngram" and set(head.candidates) == {"ngram", "embedding", "hybrid"}
    assert head.candidates["ngram"] == head.cv_f1 == 1.0
    assert head.candidates["embedding"] < 0.9
    saved = json.loads(head.path.read_text())
    assert (saved["candidates"], saved["margin"]) == (head.candidates, AUTO_MARGIN)
    assert read_head(head.path).model == "ngram-v1"

    (alone,) = train_heads(rows, out_dir=tmp_path / "ngram", family="ngram", **kwargs)
    same = {k: v for k, v in saved.items() if k not in ("candidates", "margin")}
    assert same == json.loads(alone.path.read_text())
    assert alone.family == "ngram" and alone.candidates == {}


def test_auto_picks_each_labels_family_by_its_cross_validated_f1_on_shared_folds(tmp_path):
    from moodcast.training import choose_family
    from transforms.embedding import load_encoder

    rows = _rare_label_rows().with_columns(often=pl.Series([int(i % 3 == 0) for i in range(120)]))
    encoder = load_encoder()
    heads = train_heads(rows, markers={}, config=ModelConfig(), out_dir=tmp_path, origin="t",
                        family="auto", encoder=encoder, recipe=WORDS)  # fmt: skip
    y = rows["sleep"].to_numpy()
    texts = rows["text"].to_list()
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
    embedding = LogisticRegression(class_weight="balanced", max_iter=2000)
    held_out = cross_val_predict(embedding, encoder.encode(texts), y, cv=folds,
                                 method="predict_proba")[:, 1]  # fmt: skip
    sleep = next(h for h in heads if h.name == "sleep")
    assert sleep.candidates["embedding"] == round(best_threshold(held_out, y.astype(bool))[1], 4)
    for head in heads:
        assert head.family == choose_family(head.candidates, margin=AUTO_MARGIN)
        assert head.cv_f1 == head.candidates[head.family]
        assert json.loads(head.path.read_text())["family"] == head.family


def test_auto_falls_back_to_ngram_on_every_row_where_no_language_has_a_sentence_model(tmp_path):
    rows = _rare_label_rows().with_columns(lang=pl.Series(["en", "es"] * 60))
    (head,) = train_heads(rows, markers={}, config=ModelConfig(models={}), out_dir=tmp_path,
                          origin="t", family="auto", recipe=WORDS)  # fmt: skip
    saved = json.loads(head.path.read_text())
    assert (head.family, head.rows, saved["languages"]) == ("ngram", 120, ["en", "es"])
    assert list(head.candidates) == ["ngram"]


def test_a_head_file_written_before_auto_still_loads(tmp_path):
    """Heads of the older formats: an embedding head without `family` (the first format) and an
    n-gram head without `candidates`; `auto` only adds keys that loading ignores."""
    from transforms.markers import read_head

    old = {"coef": [0.5] * 384, "intercept": -1.0, "threshold": 0.6, "model": "all-MiniLM-L6-v2",
           "languages": ["en"], "cv_f1": 0.7, "trained_on": "x.csv", "rows": 10, "positives": 3}  # fmt: skip
    (tmp_path / "a.head.json").write_text(json.dumps(old))
    head = read_head(tmp_path / "a.head.json")
    assert (head.family, head.threshold, len(head.coef)) == ("embedding", 0.6, 384)
    ngram = {"family": "ngram", "indices": [3, 9], "coef": [1.0, -1.0], "intercept": 0.1,
             "threshold": 0.4, "model": "ngram-v1", "languages": ["en", "es"], "cv_f1": 0.8}  # fmt: skip
    (tmp_path / "b.head.json").write_text(json.dumps(ngram))
    assert read_head(tmp_path / "b.head.json").indices == (3, 9)


def _noisy_rows() -> pl.DataFrame:
    """A cue word in about 70% of the positives and 15% of the negatives: no head separates
    them, so how strongly it is regularised changes its cross-validated F1."""
    rng = np.random.default_rng(2)
    words = ["rain", "bus", "coffee", "desk", "lunch", "email", "train", "phone", "walk", "code"]
    cues = ["tired", "awake", "insomnia", "restless"]
    texts, labels = [], []
    for i in range(120):
        positive = i % 4 == 0
        chosen = list(rng.choice(words, size=5))
        if rng.random() < (0.7 if positive else 0.15):
            chosen[int(rng.integers(5))] = str(rng.choice(cues))
        texts.append(" ".join(chosen))
        labels.append(int(positive))
    return pl.DataFrame({"text": texts, "lang": ["en"] * 120, "sleep": labels})


def _held_out_f1(c: float, features, y: np.ndarray, **solver) -> tuple[float, float]:
    """The F1-optimal cut and F1 of a balanced logistic regression at `c` on shared folds."""
    model = LogisticRegression(C=c, class_weight="balanced", **solver)
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
    held_out = cross_val_predict(model, features, y, cv=folds, method="predict_proba")[:, 1]
    return best_threshold(held_out, y.astype(bool))


GRID = (0.1, 1.0, 10.0)
"""The C grid the tests on _noisy_rows train with; the n-gram heads there use WORDS, the
narrower recipe: what they check is the choice of C, not the width of the features."""


@pytest.fixture(scope="module")
def noisy_ngram_f1() -> dict[float, tuple[float, float]]:
    """_held_out_f1 of a WORDS n-gram head on _noisy_rows at each C of GRID and at 4 (the
    n-gram default), computed once for the tests that compare a training with it."""
    rows = _noisy_rows()
    features = ngram_features(rows["text"].to_list(), WORDS)
    y = rows["sleep"].to_numpy()
    return {c: _held_out_f1(c, features, y, solver="liblinear") for c in (*GRID, 4.0)}


@pytest.fixture(scope="module")
def noisy_embedding_f1() -> dict[float, tuple[float, float]]:
    """_held_out_f1 of an embedding head on _noisy_rows at each C of GRID, computed once."""
    from transforms.embedding import load_encoder

    rows = _noisy_rows()
    embeddings = load_encoder().encode(rows["text"].to_list())
    y = rows["sleep"].to_numpy()
    return {c: _held_out_f1(c, embeddings, y, max_iter=2000) for c in GRID}


def test_a_head_keeps_the_c_of_its_grid_with_the_best_cross_validated_f1(tmp_path, noisy_ngram_f1):
    rows = _noisy_rows()
    grid = GRID
    no_model = ModelConfig(models={})
    (head,) = train_heads(rows, markers={}, config=no_model, out_dir=tmp_path / "a", origin="t",
                          family="ngram", c_grid=grid, recipe=WORDS)  # fmt: skip
    features = ngram_features(rows["text"].to_list(), WORDS)
    y = rows["sleep"].to_numpy()
    expected = {c: noisy_ngram_f1[c] for c in grid}
    best = max(grid, key=lambda c: expected[c][1])
    assert best != 1.0 and expected[best][1] > expected[1.0][1]
    saved = json.loads(head.path.read_text())
    assert head.c == saved["c"] == best
    assert (saved["threshold"], saved["cv_f1"]) == (expected[best][0], round(expected[best][1], 4))
    assert saved["c_cv_f1"] == {f"{c:g}": round(f1, 4) for c, (_, f1) in expected.items()}
    model = LogisticRegression(C=best, class_weight="balanced", solver="liblinear").fit(features, y)
    assert saved["intercept"] == float(model.intercept_[0])

    (again,) = train_heads(rows, markers={}, config=no_model, out_dir=tmp_path / "b", origin="t",
                           family="ngram", c_grid=(10.0, 0.1, 1.0, 1.0), recipe=WORDS)  # fmt: skip
    assert again.path.read_bytes() == head.path.read_bytes()
    (fixed,) = train_heads(rows, markers={}, config=no_model, out_dir=tmp_path / "c", origin="t",
                           family="ngram", c_grid=(1.0,), recipe=WORDS)  # fmt: skip
    assert (fixed.c, fixed.cv_f1) == (1.0, round(expected[1.0][1], 4))


def test_best_c_takes_the_smallest_c_of_tied_f1_and_a_bad_grid_is_refused(tmp_path):
    import pytest

    from moodcast.tagging import TaggingError
    from moodcast.training import best_c

    assert best_c({4.0: (0.5, 0.8), 1.0: (0.4, 0.8), 16.0: (0.3, 0.7)}) == 1.0
    assert best_c({0.25: (0.5, 0.6), 16.0: (0.3, 0.7)}) == 16.0
    rows = _noisy_rows()
    for grid in ((), (0.0, 1.0), (-1.0,)):
        with pytest.raises(TaggingError, match="C grid needs positive values"):
            train_heads(rows, markers={}, config=ModelConfig(models={}), out_dir=tmp_path,
                        origin="t", family="ngram", c_grid=grid)  # fmt: skip


def test_auto_compares_the_families_each_at_its_best_c(
    tmp_path, noisy_ngram_f1, noisy_embedding_f1
):
    from moodcast.training import choose_family
    from transforms.embedding import load_encoder

    rows = _noisy_rows()
    grid = GRID
    encoder = load_encoder()
    (head,) = train_heads(rows, markers={}, config=ModelConfig(), out_dir=tmp_path, origin="t",
                          family="auto", encoder=encoder, c_grid=grid, recipe=WORDS)  # fmt: skip
    embedding = max(noisy_embedding_f1[c][1] for c in grid)
    ngram = max(noisy_ngram_f1[c][1] for c in grid)
    assert head.candidates["embedding"] == round(embedding, 4)
    assert head.candidates["ngram"] == round(ngram, 4)
    assert head.family == choose_family(head.candidates)
    saved = json.loads(head.path.read_text())
    assert head.cv_f1 == max(saved["c_cv_f1"].values()) == saved["c_cv_f1"][f"{head.c:g}"]


def test_without_a_grid_ngram_heads_are_fitted_at_c_4_and_the_other_families_at_c_1(
    tmp_path, noisy_ngram_f1, noisy_embedding_f1
):
    from transforms.embedding import load_encoder

    rows = _noisy_rows()
    encoder = load_encoder()

    def one(family: str, name: str, **grid):
        (head,) = train_heads(rows, markers={}, config=ModelConfig(), out_dir=tmp_path / name,
                              origin="t", family=family, encoder=encoder, recipe=WORDS,
                              **grid)  # fmt: skip
        return head

    ngram = one("ngram", "ngram")
    assert ngram.c == 4.0
    assert ngram.path.read_bytes() == one("ngram", "at4", c_grid=(4.0,)).path.read_bytes()
    assert one("embedding", "embedding").c == one("hybrid", "hybrid").c == 1.0
    auto = one("auto", "auto")
    expected_ngram = noisy_ngram_f1[4.0][1]
    expected_embedding = noisy_embedding_f1[1.0][1]
    assert auto.candidates["ngram"] == round(expected_ngram, 4)
    assert auto.candidates["embedding"] == round(expected_embedding, 4)


ROOT = Path(__file__).resolve().parents[2]


def test_a_training_removes_the_staging_folder_a_killed_fine_tuning_of_the_previous_version_left(
    tmp_path,
):
    """Regression: before the held `.finetuning-*` staging folders, every fine-tuning saved
    into `.finetuning/`; one killed there (about 90 MB) was never removed, since later trainings
    remove only `.finetuning-*` folders. A training removes it, and still leaves the staging
    folder a running fine-tuning holds."""
    (tmp_path / LEGACY_FINETUNED_STAGING).mkdir()
    (tmp_path / LEGACY_FINETUNED_STAGING / "model.safetensors").write_bytes(b"killed while saving")
    with staging_folder(tmp_path, FINETUNED_STAGING) as running:
        train_heads(_rare_label_rows(), markers={}, config=ModelConfig(models={}),
                    out_dir=tmp_path, origin="t", family="ngram", recipe=WORDS)  # fmt: skip
        assert [p.name for p in tmp_path.glob(".finetuning*")] == [running.name]


def test_a_training_takes_the_lock_of_a_marker_directory_whose_lock_file_it_cannot_write(
    tmp_path,
):
    """Regression: the training lock file was opened for appending, so a user who may write
    into a shared marker directory but not into the `.training.lock` another user created there
    could not train (PermissionError); `flock` needs only a descriptor open for reading. The
    training runs in a process of its own without write permission on the file (as root:
    without the capability that overrides file permissions)."""
    lock = tmp_path / TRAINING_LOCK
    lock.touch()
    lock.chmod(0o444)
    rows = tmp_path / "labels.parquet"
    _rare_label_rows().write_parquet(rows)
    script = """
import sys
from pathlib import Path
import polars as pl
from moodcast.training import train_heads
from transforms.model_markers import ModelConfig
out = Path(sys.argv[2])
try:
    (out / ".training.lock").open("a")
except PermissionError:
    pass
else:
    sys.exit("this process may write the lock file: the test proves nothing")
train_heads(pl.read_parquet(sys.argv[1]), markers={}, config=ModelConfig(models={}),
            out_dir=out, origin="t", family="ngram", recipe="ngram-words")
"""
    unprivileged = (
        ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    )
    trained = subprocess.run(
        [*unprivileged, sys.executable, "-c", script, str(rows), str(tmp_path)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert json.loads((tmp_path / "sleep.head.json").read_text())["family"] == "ngram"


@pytest.mark.parametrize("writable", [True, False])
def test_the_training_lock_held_by_one_process_excludes_another(tmp_path, writable):
    """Two real processes: while one holds a marker directory's training lock (placing), another
    cannot take it, whether the holder opened the lock file for writing or, not allowed to write
    it, for reading only; once the holder exits, it can."""
    lock = tmp_path / TRAINING_LOCK
    lock.touch()
    if not writable:
        lock.chmod(0o444)
    script = """
import sys
from pathlib import Path
from moodcast.static_models import placing
with placing(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.read()
"""
    unprivileged = (
        ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
        if os.geteuid() == 0 and not writable
        else []
    )
    holder = subprocess.Popen(
        [*unprivileged, sys.executable, "-c", script, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    fd = os.open(lock, os.O_RDONLY)
    try:
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(BlockingIOError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        holder.stdin.close()
        assert holder.wait(timeout=60) == 0
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(fd)
        holder.kill()
        holder.wait()
