"""The `static` head family: a static model distilled from the configured sentence model (a
small vocabulary here, so the distillation takes seconds; the path is the product's), saved
beside its heads, scored without the sentence model by tag, evaluate and calibrate."""

import json
import shutil
import sys
import threading
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from moodcast import static_models, training
from moodcast.cli import main
from moodcast.static_models import StaticSettings, distilled, saved_beside, staging_folder
from moodcast.training import train_heads
from transforms.embedding import resolve_model_path
from transforms.errors import ModelError
from transforms.markers import MarkerError, load_markers
from transforms.model_folders import check_model_folder, folder_digest
from transforms.model_markers import ModelConfig, classify, encoder_languages
from transforms.model_scoring import (
    SCORE_BATCH_TEXTS,
    model_scores,
    model_texts,
    score_embeddings,
    score_texts,
)
from transforms.ngram import ngram_features
from transforms.static_embedding import StaticEncoder, load_static_encoder

pytestmark = pytest.mark.slow

TINY = StaticSettings(pca_dims=16, token_remove_pattern=r"^(?![a-z]{1,3}$|sad$|cried$|crying$)")
"""The sentence model's tokens of at most three letters and a few words (about 1,400 of
30,522), so a distillation costs seconds, not a minute."""
TEXTS = ["I cried all night and I feel empty", "heartbroken, can't stop crying",
         "went for a run by the river", "new phone case arrived today",
         "so sad about everything lately", "lunch with the team was nice"]  # fmt: skip
NO_SUCH_MODEL = ModelConfig(models={"en": "/nonexistent/sentence-model"})
"""A configuration whose sentence model cannot load: scoring with it proves none is loaded."""
JOIN_S = 600
"""At most how long a training waits for another it started to end or to wait for the lock (a
safety net: the wait ends as soon as either happens)."""


def _labels() -> pl.DataFrame:
    return pl.DataFrame({"text": TEXTS * 2, "lang": "en", "sad": [1, 1, 0, 0, 1, 0] * 2})


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="module")
def trained(tmp_path_factory, cache) -> Path:
    """A marker directory holding a `static` head for `sad` and its static model folder."""
    out = tmp_path_factory.mktemp("data") / "markers"
    train_heads(_labels(), markers={}, config=ModelConfig(cache_dir=cache), out_dir=out,
                origin="t.csv", family="static", static=TINY)  # fmt: skip
    return out


def _by_hand(head, texts: list[str]) -> np.ndarray:
    """The head's probability: its static model's embedding · coef, plus the n-gram buckets it
    kept · their weights, plus the intercept."""
    ngrams = ngram_features(texts, head.recipe)[:, list(head.indices)]
    logits = (
        StaticEncoder(Path(head.model)).encode(texts) @ np.asarray(head.coef, dtype=np.float32)
        + ngrams @ np.asarray(head.ngram_coef)
        + head.intercept
    )
    return 1 / (1 + np.exp(-logits))


def test_a_static_head_names_its_saved_model_and_a_rerun_reuses_the_cache(trained, cache, tmp_path):
    saved = json.loads((trained / "sad.head.json").read_text())
    assert (saved["family"], saved["recipe"], len(saved["coef"])) == ("static", "ngram-v1", 16)
    assert saved["model"] == f"static-{saved['static_digest']}"
    assert saved["static_settings"] == asdict(TINY)
    assert (trained / saved["model"] / "model.safetensors").is_file()
    (distilled_dir,) = cache.iterdir()
    assert distilled_dir.name.startswith("model-static-")
    modified = (distilled_dir / "model.safetensors").stat().st_mtime_ns

    train_heads(_labels(), markers={}, config=ModelConfig(cache_dir=cache), out_dir=tmp_path,
                origin="t.csv", family="static", static=TINY)  # fmt: skip
    assert json.loads((tmp_path / "sad.head.json").read_text()) == saved
    assert list(cache.iterdir()) == [distilled_dir]
    assert (distilled_dir / "model.safetensors").stat().st_mtime_ns == modified
    assert distilled("default", cache_dir=cache, settings=TINY) == distilled_dir


def test_a_distillation_elsewhere_gives_the_same_head_file(trained, tmp_path):
    """Regression: model2vec's model card named the random staging folder and `config.json` the
    sentence model's absolute path, so every distillation (a cleared cache, another machine or
    install path) gave another folder digest, head file and marker version for the same
    weights."""
    copy = tmp_path / "elsewhere" / "model"
    shutil.copytree(resolve_model_path("default"), copy)
    config = ModelConfig(models={"en": str(copy)}, cache_dir=tmp_path / "cache")
    train_heads(_labels(), markers={}, config=config, out_dir=tmp_path / "markers",
                origin="t.csv", family="static", static=TINY)  # fmt: skip
    assert (tmp_path / "markers" / "sad.head.json").read_text() == (
        trained / "sad.head.json"
    ).read_text()
    assert load_markers(tmp_path / "markers")["sad"].version == load_markers(trained)["sad"].version


def test_a_static_head_scores_from_its_own_model_and_never_loads_the_sentence_model(trained):
    markers = load_markers(trained, names=["sad"])
    head = markers["sad"].heads["en"]
    (folder,) = trained.glob("static-*")
    assert head.model == str(folder.resolve())
    assert encoder_languages(markers, ModelConfig(), ["en", "es"]) == []

    found = score_texts(TEXTS, lang="en", markers=markers, encoder=None)
    np.testing.assert_allclose(found["sad"], _by_hand(head, TEXTS), rtol=1e-5)
    assert (found["sad"] >= head.threshold).tolist() == [True, True, False, False, True, False]
    assert score_texts(TEXTS, lang="es", markers=markers, encoder=None) == {}

    decided = classify(_labels(), markers, config=NO_SUCH_MODEL)
    assert decided["sad"].to_list() == (found["sad"] >= head.threshold).tolist() * 2
    static = load_static_encoder(head.model)
    with pytest.raises(Exception, match="needs the texts"):
        score_embeddings(static.encode(TEXTS), lang="en", markers=markers, encoder=static)


def test_tag_scores_a_long_text_as_the_job_and_training_do(trained):
    """Regression: `classify` (tag, evaluate, calibrate) kept the raw text where only static and
    n-gram heads score, and model2vec cuts a text at 512 tokens' worth of characters before
    tokenising, so a long post with runs of whitespace scored otherwise than in the job."""
    markers = load_markers(trained, names=["sad"])
    text = "so sad today\n\n\n\n" * 60 + "went for a run by the river " * 60
    posts = pl.DataFrame({"lang": "en", "text": [text, TEXTS[0]]})
    job = model_scores(model_texts(posts), markers=markers, encoders={})
    tagged = classify(posts, markers, config=NO_SUCH_MODEL)
    np.testing.assert_array_equal(tagged["sad__score"].to_numpy(), job["sad__model"].to_numpy())


def test_a_chunk_is_scored_in_slices_with_the_scores_of_one_call(trained):
    markers = load_markers(trained, names=["sad"])
    texts = [f"{TEXTS[i % len(TEXTS)]} {i}" for i in range(2 * SCORE_BATCH_TEXTS + 1)]
    posts = pl.DataFrame({"lang": "en", "text": texts})
    found = model_scores(model_texts(posts), markers=markers, encoders={})
    assert found.height == len(texts)
    np.testing.assert_array_equal(
        found["sad__model"].to_numpy(),
        score_texts(texts, lang="en", markers=markers, encoder=None)["sad"],
    )


def test_a_head_folder_moved_elsewhere_still_loads_and_a_missing_model_is_refused(
    trained, tmp_path
):
    moved = tmp_path / "elsewhere"
    shutil.copytree(trained, moved)
    here, there = (load_markers(d, names=["sad"]) for d in (trained, moved))
    assert there["sad"].heads["en"].model.startswith(str(moved.resolve()))
    np.testing.assert_array_equal(
        score_texts(TEXTS, lang="en", markers=there, encoder=None)["sad"],
        score_texts(TEXTS, lang="en", markers=here, encoder=None)["sad"],
    )
    (folder,) = moved.glob("static-*")
    shutil.rmtree(folder)
    with pytest.raises(MarkerError, match=r"its static model .*static-.* is missing"):
        load_markers(moved)


def test_without_model2vec_scoring_and_distilling_fail_saying_what_to_install(
    trained, tmp_path, monkeypatch
):
    (folder,) = trained.glob("static-*")
    monkeypatch.setitem(sys.modules, "model2vec", None)
    monkeypatch.setitem(sys.modules, "model2vec.distill", None)
    with pytest.raises(ModelError, match="needs the package model2vec"):
        StaticEncoder(folder)
    with pytest.raises(ModelError, match="needs the packages model2vec and skeletoken"):
        distilled("default", cache_dir=tmp_path, settings=TINY)


def test_show_tag_evaluate_and_calibrate_work_with_a_static_head(trained, tmp_path):
    data = trained.parent
    unloadable = tmp_path / "unloadable-model"
    unloadable.mkdir()
    (unloadable / "config.json").write_text("{}")
    (data / "config.toml").write_text(f"models = {{en = {str(unloadable)!r}}}\n")
    runner = CliRunner()

    def invoke(*args):
        result = runner.invoke(main, [str(a) for a in args])
        assert result.exit_code == 0, result.output
        return result.stdout

    shown = invoke("markers", "show", "sad", "--data-dir", data)
    assert "[en] model: trained static head on static-" in shown and "ngram-v1" in shown
    labels = tmp_path / "labels.csv"
    _labels().with_row_index("id").write_csv(labels)
    posts = tmp_path / "posts.jsonl"
    _labels().with_row_index("id").select(
        pl.col("id").cast(pl.String),
        "text",
        "lang",
        pl.lit("2025-01-01T00:00:00Z").alias("created_at"),
    ).write_ndjson(posts)
    invoke("tag", posts, "-o", tmp_path / "out.parquet", "--markers", "sad", "--explain",
           "--data-dir", data)  # fmt: skip
    tagged = pl.read_parquet(tmp_path / "out.parquet")
    head = load_markers(trained, names=["sad"])["sad"].heads["en"]
    np.testing.assert_allclose(tagged["sad__score"], _by_hand(head, TEXTS * 2), rtol=1e-5)
    evaluated = json.loads(invoke("markers", "evaluate", "--labels", labels, "--json",
                                  "--data-dir", data))  # fmt: skip
    assert evaluated["markers"]["sad"]["f1"] == 1.0
    calibrated = invoke("markers", "calibrate", "--labels", labels, "--json", "--data-dir", data)
    assert '"sad"' in calibrated


@pytest.mark.parametrize("damaged", ["model.safetensors", "tokenizer.json"])
def test_a_damaged_static_model_is_a_model_error_with_its_exit_code(trained, tmp_path, damaged):
    """Regression: safetensors' and tokenizers' own errors escaped as a traceback (exit 1). A
    run refuses the damaged folder before loading it: its files no longer have the head's
    digest."""
    data = tmp_path / "data"
    shutil.copytree(trained, data / "markers")
    (folder,) = (data / "markers").glob("static-*")
    (folder / damaged).write_bytes((folder / damaged).read_bytes()[:100])
    with pytest.raises(ModelError, match=r"cannot load the static model at .*static-"):
        StaticEncoder(folder)
    posts = tmp_path / "posts.jsonl"
    _labels().with_row_index("id").select(
        pl.col("id").cast(pl.String), "text", "lang", pl.lit("2025-01-01").alias("created_at")
    ).write_ndjson(posts)
    result = CliRunner().invoke(
        main, ["tag", str(posts), "-o", str(tmp_path / "out.parquet"), "--data-dir", str(data)]
    )
    assert result.exit_code == 6, result.output
    assert "static head of marker sad was trained with the model folder" in result.output
    assert "replaced or copied in part" in result.output


def test_a_copy_another_training_saved_meanwhile_is_kept(trained, cache, tmp_path, monkeypatch):
    """Regression: two trainings saving the same static model into one marker directory at once:
    the later rename onto the folder the other had just renamed into place failed (exit 9)."""
    (distilled_dir,) = cache.iterdir()
    out = tmp_path / "markers"
    out.mkdir()
    copy = shutil.copytree

    def copy_while_another_training_saves(source, staging, **kwargs):
        copy(source, out / f"static-{saved['static_digest']}")
        return copy(source, staging, **kwargs)

    saved = json.loads((trained / "sad.head.json").read_text())
    monkeypatch.setattr(static_models.shutil, "copytree", copy_while_another_training_saves)
    assert folder_digest(distilled_dir) == saved["static_digest"]
    assert saved_beside(distilled_dir, out, saved["static_digest"]) == saved["model"]
    assert [p.name for p in out.iterdir()] == [saved["model"]]


def test_a_training_never_removes_the_model_another_placed_and_has_not_named_yet(
    trained, cache, tmp_path, monkeypatch
):
    """Regression: a training removes the model folders no head names (remove_unnamed); run
    while another training had placed its folder and not yet written its head, it removed that
    folder, and the other's head named a missing model. Here `joy` trains while `sad`, with
    another static model, is about to write its head, and `sad` goes on once `joy` has ended or
    waits for the directory's lock (training.placing: no such wait before the lock)."""
    other = StaticSettings(pca_dims=8, token_remove_pattern=TINY.token_remove_pattern)
    distilled("default", cache_dir=cache, settings=other)
    out = tmp_path / "markers"
    joy = _labels().rename({"sad": "joy"})
    write_head, placing = training._write_head, training.placing
    joy_ended_or_waits = threading.Event()

    def train_joy() -> None:
        try:
            train_heads(joy, markers={}, config=ModelConfig(cache_dir=cache), out_dir=out,
                        origin="t.csv", family="static", static=TINY)  # fmt: skip
        finally:
            joy_ended_or_waits.set()

    @contextmanager
    def joy_waits(out_dir):
        if threading.current_thread() is not threading.main_thread():
            joy_ended_or_waits.set()
        with placing(out_dir):
            yield

    def while_joy_trains(*args, **kwargs):
        if threading.current_thread() is threading.main_thread() and not started:
            started.append(threading.Thread(target=train_joy))
            started[0].start()
            assert joy_ended_or_waits.wait(timeout=JOIN_S)
        return write_head(*args, **kwargs)

    started: list[threading.Thread] = []
    monkeypatch.setattr(training, "_write_head", while_joy_trains)
    monkeypatch.setattr(training, "placing", joy_waits)
    train_heads(_labels(), markers={}, config=ModelConfig(cache_dir=cache), out_dir=out,
                origin="t.csv", family="static", static=other)  # fmt: skip
    started[0].join()
    markers = load_markers(out)
    assert markers["sad"].heads["en"].model != markers["joy"].heads["en"].model
    for name in ("sad", "joy"):
        assert score_texts(TEXTS, lang="en", markers={name: markers[name]}, encoder=None)


def test_a_training_removes_the_staging_folder_of_a_killed_fine_tuning_not_a_live_one(
    cache, tmp_path
):
    """Regression: each fine-tuning saves into a staging folder of its own (`.finetuning-*`,
    about 90 MB), removed at its end; one killed before (SIGKILL, out of memory) left it there
    for good. A later training removes it, and leaves the one a running fine-tuning holds."""
    out = tmp_path / "markers"
    killed = out / ".finetuning-killed" / "model"
    killed.mkdir(parents=True)
    (killed / "model.safetensors").write_bytes(b"a fine-tuning killed while saving")
    with staging_folder(out, training.FINETUNED_STAGING) as running:
        train_heads(_labels(), markers={}, config=ModelConfig(cache_dir=cache), out_dir=out,
                    origin="t.csv", family="static", static=TINY)  # fmt: skip
        assert [p.name for p in out.glob(".finetuning*")] == [running.name]
    assert not list(out.glob(".finetuning*"))


def test_retraining_replaces_a_damaged_model_folder_rather_than_naming_it_again(
    trained, cache, tmp_path
):
    """Regression: a run refuses a static model folder whose files lost the head's digest and
    says to retrain; retraining kept the damaged folder (its name was there) and named it
    again, so the run refused it again."""
    out = tmp_path / "markers"
    shutil.copytree(trained, out)
    (folder,) = out.glob("static-*")
    (folder / "tokenizer.json").write_text("damaged")
    train_heads(_labels(), markers={}, config=ModelConfig(cache_dir=cache), out_dir=out,
                origin="t.csv", family="static", static=TINY)  # fmt: skip
    head = load_markers(out)["sad"].heads["en"]
    assert head.model == str(folder.resolve())
    check_model_folder("sad", head)
