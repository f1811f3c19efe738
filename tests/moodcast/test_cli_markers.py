import json

import polars as pl
from click.testing import CliRunner

from moodcast.cli import main


def _labels(path):
    pl.DataFrame(
        {
            "text": ["I feel so sad today", "what a lovely day", "no estoy triste",
                     "estoy muy triste", "I am not happy", "panic attack again"],
            "lang": ["en", "en", "es", "es", "en", "en"],
            "sadness": [1, 0, 0, 1, 1, 0],
            "anxiety": [0, 0, 0, 0, 0, 1],
            "unrelated": [1, 1, 1, 1, 1, 1],
        }
    ).write_csv(path)  # fmt: skip


def test_markers_evaluate_scores_every_labelled_marker(tmp_path):
    _labels(tmp_path / "labels.csv")
    result = CliRunner().invoke(
        main,
        ["markers", "evaluate", "--labels", str(tmp_path / "labels.csv"), "--json",
         "--data-dir", str(tmp_path / "data")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report["markers"]) == {"sadness", "anxiety"}
    sadness = report["markers"]["sadness"]
    scores = {key: sadness[key] for key in ("precision", "recall", "f1", "support")}
    assert scores == {"precision": 1.0, "recall": 2 / 3, "f1": 0.8, "support": 3}
    assert report["markers"]["anxiety"]["f1"] == 1.0
    assert report["macro_f1"] == (0.8 + 1.0) / 2


def test_markers_evaluate_with_the_model_source_leaves_out_languages_without_a_model(tmp_path):
    _labels(tmp_path / "labels.csv")
    result = CliRunner().invoke(
        main, ["markers", "evaluate", "--labels", str(tmp_path / "labels.csv"), "--source", "model",
               "--json", "--data-dir", str(tmp_path / "data")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    sadness = json.loads(result.stdout)["markers"]["sadness"]
    assert sadness["support"] == 2  # English rows only
    assert sadness["prevalence"] == 0.5 and sadness["adjusted_prevalence"] is None


def test_the_model_source_is_refused_clearly_for_a_marker_without_one(tmp_path):
    _labels(tmp_path / "labels.csv")
    markers = tmp_path / "data" / "markers"
    markers.mkdir(parents=True)
    (markers / "sadness.toml").write_text('name = "sadness"\n[lang.en]\nterms = ["sad"]\n')
    result = CliRunner().invoke(
        main, ["markers", "evaluate", "--labels", str(tmp_path / "labels.csv"), "--source", "model",
               "--data-dir", str(tmp_path / "data")],
    )  # fmt: skip
    assert result.exit_code == 5 and "sadness has no model source" in result.output


def test_tag_writes_ids_hits_scores_and_terms_without_text_or_author(tmp_path):
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        '{"id": "a", "created_at": "2025-01-01T00:00:00Z", "text": "so sad", "lang": "en", "author_id": "u1"}\n'
        '{"id": "b", "created_at": "2025-01-01T00:00:00Z", "text": "qué alegría", "lang": "es"}\n'
        "not json\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.parquet"
    args = ["tag", str(posts), "-o", str(out), "--markers", "sadness,joy", "--explain",
            "--data-dir", str(tmp_path / "data")]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    frame = pl.read_parquet(out)
    assert frame.columns == ["id", "lang", "joy", "joy__score", "joy__terms", "sadness",
                             "sadness__score", "sadness__terms"]  # fmt: skip
    assert frame["sadness"].to_list() == [True, False] and frame["joy"].to_list() == [False, True]
    assert f"tagged 2 posts with 2 markers into {out}" in result.output
    result = CliRunner().invoke(main, [*args, "--keep-text"])
    assert pl.read_parquet(out)["text"].to_list() == ["so sad", "qué alegría"]
    one = ["tag", str(posts), "-o", str(out), "--markers", "sadness", "--data-dir", str(tmp_path)]
    assert f"tagged 2 posts with 1 marker into {out}" in CliRunner().invoke(main, one).output


def test_markers_list_and_show(tmp_path):
    listed = CliRunner().invoke(main, ["markers", "list", "--data-dir", str(tmp_path)])
    assert listed.exit_code == 0 and len(listed.stdout.splitlines()) == 18
    shown = CliRunner().invoke(main, ["markers", "show", "self_harm", "--data-dir", str(tmp_path)])
    assert "cue: first_person" in shown.stdout and "[es]" in shown.stdout
