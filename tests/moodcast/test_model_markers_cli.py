import json
import tomllib

import numpy as np
import polars as pl
from click.testing import CliRunner
from sklearn.linear_model import LogisticRegression

from moodcast.cli import main
from transforms.embedding import load_encoder
from transforms.markers import BUILTIN_DIR

LABELLED_EN = BUILTIN_DIR / "model" / "labelled-en.csv"


def _invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def _classes(path):
    texts = {
        "sleep": ["awake at 4am again", "cannot fall asleep, brain racing", "insomnia is back",
                  "slept two hours, again", "another sleepless night", "tossing and turning all night"],
        "work": ["deadline moved to friday", "the meeting ran long", "new project kickoff today",
                 "my manager approved the plan", "sent the report to the client", "quarterly review done"],
        "food": ["pasta for dinner tonight", "trying a new taco place", "baked bread this morning",
                 "soup weather finally", "best burger in town", "made pancakes for everyone"],
    }  # fmt: skip
    pl.DataFrame(
        {
            "id": [str(i) for i in range(18)],
            "text": [t for group in texts.values() for t in group],
            "topic": [k for k, group in texts.items() for _ in group],
            "lang": ["en"] * 18,
        }
    ).write_csv(path)


def test_train_saves_heads_that_load_back_with_the_same_decisions(tmp_path):
    _classes(tmp_path / "labels.csv")
    data = tmp_path / "data"
    result = _invoke("markers", "train", "--labels", tmp_path / "labels.csv", "--json",
                     "--family", "embedding", "--data-dir", data)  # fmt: skip
    heads = {h["marker"]: h for h in map(json.loads, result.stdout.splitlines())}
    assert set(heads) == {"sleep", "work", "food"} and all(h["new_marker"] for h in heads.values())
    assert all(0 <= h["cv_f1"] <= 1 for h in heads.values())
    assert (data / "markers" / "work.head.json").exists()
    listed = _invoke("markers", "list", "--data-dir", data).stdout
    assert "work\t" in listed

    frame = pl.read_csv(tmp_path / "labels.csv")
    posts = tmp_path / "posts.jsonl"
    frame.select(
        "id", "text", "lang", pl.lit("2025-01-01T00:00:00Z").alias("created_at")
    ).write_ndjson(posts)
    _invoke("tag", posts, "-o", tmp_path / "out.parquet", "--markers", "sleep,work,food",
            "--data-dir", data)  # fmt: skip
    tagged = pl.read_parquet(tmp_path / "out.parquet")
    embeddings = load_encoder().encode(frame["text"].to_list())
    for name in ("sleep", "work", "food"):
        y = (frame["topic"] == name).to_numpy()
        reference = LogisticRegression(max_iter=2000, class_weight="balanced").fit(embeddings, y)
        probability = reference.predict_proba(embeddings)[:, 1]
        cut = json.loads((data / "markers" / f"{name}.head.json").read_text())["threshold"]
        assert 0 < cut < 1
        assert tagged[name].to_list() == (probability >= cut).tolist()
        assert np.allclose(tagged[f"{name}__score"].to_numpy(), probability, atol=1e-4)


def test_a_head_for_a_shipped_marker_becomes_its_model_source_and_never_touches_the_shipped_file(
    tmp_path,
):
    labels = pl.read_csv(LABELLED_EN).select("text", "lang", "sleep_problems")
    labels.write_csv(tmp_path / "labels.csv")
    shipped = (BUILTIN_DIR / "sleep_problems.toml").read_bytes()
    data = tmp_path / "data"
    _invoke("markers", "train", "--labels", tmp_path / "labels.csv", "--family", "embedding",
            "--data-dir", data)  # fmt: skip
    assert (BUILTIN_DIR / "sleep_problems.toml").read_bytes() == shipped
    assert not (data / "markers" / "sleep_problems.toml").exists()
    shown = _invoke("markers", "show", "sleep_problems", "--data-dir", data).stdout
    assert "[en] model: trained embedding head" in shown


def test_show_says_spanish_falls_back_to_the_lexicon_with_the_default_model(tmp_path):
    shown = _invoke("markers", "show", "sadness", "--data-dir", tmp_path).stdout
    assert "[es] model: 10 prototypes" in shown and "the lexicon decides" in shown


REAL_DEV_THRESHOLDS = {"anger", "disgust", "fear", "joy", "sadness", "surprise", "depression",
                       "anxiety", "suicide_risk", "loneliness", "substance_use", "stress"}  # fmt: skip
"""English thresholds chosen on real dev splits (transforms/markers/SOURCES.md; stress's on its
two balanced dev proxies, benchmarks/stress_balanced.py), not on the shipped written set."""
SHIPPED_HEADS = {"suicide_risk"}
"""English markers whose model source is a shipped head (transforms/markers/heads/), whose cut
was chosen out of fold on its training set, not a zero-shot threshold."""


def test_the_shipped_zero_shot_sources_beat_chance_on_the_shipped_labelled_set(tmp_path):
    """Every English marker's model source alone finds its own posts well above chance (base
    rate about 0.04: flagging every post gives F1 0.08), and the thresholds not chosen on real posts are the ones calibration on
    the written set gives."""
    report = json.loads(
        _invoke("markers", "evaluate", "--labels", LABELLED_EN, "--source", "model", "--json",
                "--data-dir", tmp_path).stdout
    )  # fmt: skip
    assert report["macro_f1"] > 0.3
    assert all(m["f1"] > 0.1 for m in report["markers"].values()), report
    calibrated = _invoke("markers", "calibrate", "--labels", LABELLED_EN, "--json",
                         "--data-dir", tmp_path).stdout  # fmt: skip
    rows = [row for row in map(json.loads, calibrated.splitlines()) if "threshold" in row]
    assert {row["marker"] for row in rows} >= REAL_DEV_THRESHOLDS - SHIPPED_HEADS
    for row in rows:  # a marker × language with rates only has no zero-shot threshold
        if row["marker"] not in REAL_DEV_THRESHOLDS | SHIPPED_HEADS:
            assert abs(row["current_threshold"] - row["threshold"]) < 0.01, row


def test_a_quote_or_newline_in_the_labels_path_cannot_break_or_inject_a_marker_file(tmp_path):
    labels = tmp_path / 'odd "name"\ncue = "first_person"\n.csv'
    _classes(labels)
    data = tmp_path / "data"
    _invoke("markers", "train", "--labels", labels, "--data-dir", data)
    listed = _invoke("markers", "list", "--data-dir", data).stdout
    assert "work\t" in listed
    written = tomllib.loads((data / "markers" / "work.toml").read_text(encoding="utf-8"))
    assert "cue" not in written and written["rule"] == "model"
    assert written["description"] == f"Trained on {labels.name}."


def _bilingual(path):
    texts = {
        "sleep": ["awake at 4am again", "cannot fall asleep, brain racing", "insomnia is back",
                  "otra noche sin dormir", "no puedo dormir nada", "desvelada otra vez"],
        "food": ["pasta for dinner tonight", "trying a new taco place", "baked bread this morning",
                 "sopa para cenar", "probamos tacos nuevos", "pan casero esta mañana"],
    }  # fmt: skip
    pl.DataFrame(
        {
            "text": [t for group in texts.values() for t in group],
            "lang": ["en", "en", "en", "es", "es", "es"] * 2,
            "sleep": [1] * 6 + [0] * 6,
        }
    ).write_csv(path)


def test_an_ngram_head_trains_on_any_language_and_decides_in_tag_and_evaluate(tmp_path):
    from sklearn.linear_model import LogisticRegression

    from transforms.ngram import ngram_features

    _bilingual(tmp_path / "labels.csv")
    data = tmp_path / "data"
    result = _invoke("markers", "train", "--labels", tmp_path / "labels.csv", "--family",
                     "ngram", "--json", "--data-dir", data)  # fmt: skip
    head = json.loads(result.stdout)
    assert head["marker"] == "sleep" and head["rows"] == 12 and head["new_marker"]
    saved = json.loads((data / "markers" / "sleep.head.json").read_text())
    assert saved["family"] == "ngram" and saved["languages"] == ["en", "es"]
    shown = _invoke("markers", "show", "sleep", "--data-dir", data).stdout
    assert "[es] model: trained ngram head" in shown and "decides: model" in shown

    frame = pl.read_csv(tmp_path / "labels.csv")
    posts = tmp_path / "posts.jsonl"
    frame.with_row_index("id").select(
        pl.col("id").cast(pl.String),
        "text",
        "lang",
        pl.lit("2025-01-01T00:00:00Z").alias("created_at"),
    ).write_ndjson(posts)
    _invoke("tag", posts, "-o", tmp_path / "out.parquet", "--markers", "sleep", "--data-dir", data)
    tagged = pl.read_parquet(tmp_path / "out.parquet")
    features = ngram_features(frame["text"].to_list())
    reference = LogisticRegression(C=4, solver="liblinear", class_weight="balanced").fit(
        features, frame["sleep"].to_numpy()
    )
    probability = reference.predict_proba(features)[:, 1]
    assert tagged["sleep"].to_list() == (probability >= saved["threshold"]).tolist()
    assert np.allclose(tagged["sleep__score"].to_numpy(), probability, atol=1e-4)
    labels = tmp_path / "labels.csv"
    out = _invoke("markers", "evaluate", "--labels", labels, "--json", "--data-dir", data).stdout
    evaluated = json.loads(out)
    assert evaluated["markers"]["sleep"]["f1"] == 1.0


def test_a_hybrid_head_trains_from_the_cli_and_tags_like_one_model_on_both_features(tmp_path):
    from scipy import sparse

    from transforms.ngram import ngram_features

    _classes(tmp_path / "labels.csv")
    data = tmp_path / "data"
    _invoke("markers", "train", "--labels", tmp_path / "labels.csv", "--family", "hybrid",
            "--recipe", "ngram-words", "--data-dir", data)  # fmt: skip
    saved = json.loads((data / "markers" / "sleep.head.json").read_text())
    assert (saved["family"], saved["recipe"], len(saved["coef"])) == ("hybrid", "ngram-words", 384)
    shown = _invoke("markers", "show", "sleep", "--data-dir", data).stdout
    assert f"trained hybrid head on {saved['model']} and ngram-words (threshold" in shown

    frame = pl.read_csv(tmp_path / "labels.csv")
    posts = tmp_path / "posts.jsonl"
    frame.select(
        "id", "text", "lang", pl.lit("2025-01-01T00:00:00Z").alias("created_at")
    ).write_ndjson(posts)
    _invoke("tag", posts, "-o", tmp_path / "out.parquet", "--markers", "sleep", "--data-dir", data)
    tagged = pl.read_parquet(tmp_path / "out.parquet")
    texts = frame["text"].to_list()
    features = sparse.hstack([load_encoder().encode(texts), ngram_features(texts, "ngram-words")])
    y = (frame["topic"] == "sleep").to_numpy()
    reference = LogisticRegression(solver="liblinear", class_weight="balanced").fit(features, y)
    probability = reference.predict_proba(features)[:, 1]
    assert tagged["sleep"].to_list() == (probability >= saved["threshold"]).tolist()
    assert np.allclose(tagged["sleep__score"].to_numpy(), probability, atol=1e-4)


def test_train_auto_the_default_reports_each_labels_family_and_every_familys_f1(tmp_path):
    from moodcast.training import choose_family

    _classes(tmp_path / "labels.csv")
    data = tmp_path / "data"
    result = _invoke("markers", "train", "--labels", tmp_path / "labels.csv", "--family", "auto",
                     "--recipe", "ngram-words", "--json", "--data-dir", data)  # fmt: skip
    heads = {h["marker"]: h for h in map(json.loads, result.stdout.splitlines())}
    assert set(heads) == {"sleep", "work", "food"}
    for name, head in heads.items():
        assert set(head["candidates"]) == {"ngram", "embedding", "hybrid"}
        assert head["family"] == choose_family(head["candidates"])
        assert head["cv_f1"] == head["candidates"][head["family"]]
        saved = json.loads((data / "markers" / f"{name}.head.json").read_text())
        assert saved["family"] == head["family"]
    text = _invoke("markers", "train", "--labels", tmp_path / "labels.csv", "--label-cols",
                   "topic", "--recipe", "ngram-words", "--data-dir", data).stdout  # fmt: skip
    sleep = next(line for line in text.splitlines() if line.startswith("sleep "))
    family = heads["sleep"]["family"]
    others = [f for f in ("ngram", "embedding", "hybrid") if f != family]
    assert (
        sleep.split()[1] == family and f"cross-validated F1 {heads['sleep']['cv_f1']:.3f}" in sleep
    )
    assert all(f"{f} {heads['sleep']['candidates'][f]:.3f}" in sleep for f in others)
    shown = " ".join(_invoke("markers", "train", "--help").stdout.split())
    from moodcast.training import AUTO_MARGIN

    assert f"ngram unless embedding or hybrid gains more than {AUTO_MARGIN} cross" in shown


def test_train_keeps_each_heads_best_c_of_the_grid_and_refuses_a_bad_grid(tmp_path):
    _classes(tmp_path / "labels.csv")
    data = tmp_path / "data"
    result = _invoke("markers", "train", "--labels", tmp_path / "labels.csv", "--family", "ngram",
                     "--recipe", "ngram-words", "--c-grid", "0.1,10", "--json",
                     "--data-dir", data)  # fmt: skip
    heads = {h["marker"]: h for h in map(json.loads, result.stdout.splitlines())}
    assert set(heads) == {"sleep", "work", "food"}
    for name, head in heads.items():
        saved = json.loads((data / "markers" / f"{name}.head.json").read_text())
        assert head["c"] == saved["c"] and set(saved["c_cv_f1"]) == {"0.1", "10"}
        assert head["cv_f1"] == saved["c_cv_f1"][f"{head['c']:g}"] == max(saved["c_cv_f1"].values())
    text = _invoke("markers", "train", "--labels", tmp_path / "labels.csv", "--family", "ngram",
                   "--recipe", "ngram-words", "--c-grid", "10", "--data-dir", data).stdout  # fmt: skip
    assert all("  C 10  " in line for line in text.splitlines())
    for grid, message in (("one,4", "not a list of numbers"), ("0,4", "positive values")):
        refused = CliRunner().invoke(main, ["markers", "train", "--labels", str(tmp_path / "labels.csv"),
                                            "--c-grid", grid, "--data-dir", str(data)])  # fmt: skip
        assert refused.exit_code != 0 and message in refused.output
    shown = " ".join(_invoke("markers", "train", "--help").stdout.split())
    assert (
        "the C of best cross-validated F1 [default: each family at its own: ngram 4, embedding, "
        "hybrid and static 1]" in shown.replace("cross- validated", "cross-validated")
    )
