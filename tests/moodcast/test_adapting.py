"""`zero_shot = "adapted"`: `moodcast markers adapt` fits centroids once, and tag, evaluate and
the Beam job score with them; missing or stale centroids are refused."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import orjson
import polars as pl
from click.testing import CliRunner

from ingest.job import IngestJob
from ingest.pipeline import run_ingest
from moodcast.adapting import configured_markers
from moodcast.cli import main
from moodcast.config import load_settings
from transforms.embedding import load_encoder
from transforms.markers import load_markers
from transforms.model_markers import ModelConfig, classify
from transforms.posts import PostOptions
from transforms.zero_shot import adapted_thresholds, zero_shot

TEXTS = (
    [f"so happy today, we won the final {i}!" for i in range(12)]
    + [f"i miss her so much, so sad {i}" for i in range(12)]
    + [f"the {i} bus leaves from stop {i + 1}" for i in range(12)]
)


def _corpus(path: Path, *, broken: bytes = b"") -> Path:
    rows = [
        {"id": f"p{i}", "created_at": f"2025-03-0{1 + i % 2}T10:00:00Z", "text": text,
         "lang": "en", "author_id": f"a{i % 12}", "region": "north"}
        for i, text in enumerate(TEXTS)
    ]  # fmt: skip
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n" + broken)
    return path


def _invoke(*args, code=0):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == code, result.output
    return result


def test_adapt_fits_once_and_tag_scores_with_the_fitted_centroids(tmp_path):
    corpus = _corpus(tmp_path / "posts.jsonl", broken=b'{"id": "x", "text": \n')
    data = tmp_path / "data"
    result = _invoke("markers", "adapt", corpus, "--json", "--data-dir", data)
    assert "1 dead-lettered" in result.stderr
    (fitted,) = map(json.loads, result.stdout.splitlines())
    assert fitted["lang"] == "en" and fitted["posts"] == len(TEXTS)
    assert {"joy", "sadness"} <= set(fitted["moved"])
    first = (data / "adapted" / "en.json").read_bytes()
    _invoke("markers", "adapt", corpus, "--data-dir", data)
    assert (data / "adapted" / "en.json").read_bytes() == first

    (data / "config.toml").write_text('zero_shot = "adapted"\n', encoding="utf-8")
    _invoke("tag", corpus, "-o", tmp_path / "out.parquet", "--source", "model",
            "--markers", "joy,sadness", "--data-dir", data)  # fmt: skip
    tagged = pl.read_parquet(tmp_path / "out.parquet")
    centroids = {n: np.asarray(v) for n, v in json.loads(first)["centroids"].items()}
    encoder = load_encoder()
    x = encoder.encode(list(TEXTS))
    for name in ("joy", "sadness"):
        marker = load_markers(names=[name])[name]
        expected = zero_shot(x, marker=marker, lang="en", encoder=encoder, centroids=centroids)
        shipped = zero_shot(x, marker=marker, lang="en", encoder=encoder)
        assert np.allclose(tagged[f"{name}__score"].to_numpy(), expected, atol=1e-4)
        assert not np.allclose(expected, shipped, atol=1e-2)
        assert tagged[name].to_list() == (expected >= adapted_thresholds("en")[name]).tolist()
    shown = _invoke("markers", "show", "joy", "--data-dir", data).stdout
    assert "adapted to a corpus" in shown


def test_missing_or_stale_centroids_are_refused_with_what_to_run(tmp_path):
    corpus, data = _corpus(tmp_path / "posts.jsonl"), tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text('zero_shot = "adapted"\n', encoding="utf-8")
    missing = _invoke("tag", corpus, "-o", tmp_path / "a.parquet", "--data-dir", data, code=5)
    assert "moodcast markers adapt" in missing.output and "missing" in missing.output
    _invoke("markers", "adapt", corpus, "--data-dir", data)
    (data / "markers").mkdir()
    (data / "markers" / "mood.toml").write_text(
        'name = "mood"\n[lang.en]\nterms = ["moody"]\n', encoding="utf-8"
    )
    stale = _invoke("markers", "evaluate", "--labels", _labels(tmp_path), "--data-dir", data,
                    code=5)  # fmt: skip
    assert "again" in stale.output and "other markers" in stale.output
    (data / "markers" / "mood.toml").unlink()
    (data / "adapted" / "en.json").write_text("{", encoding="utf-8")
    broken = _invoke("markers", "list", "--data-dir", data, code=5)
    assert "run it again" in broken.output
    (data / "config.toml").write_text('zero_shot = "adaptd"\n', encoding="utf-8")
    wrong = _invoke("markers", "list", "--data-dir", data, code=3)
    assert 'zero_shot must be one of "shipped", "adapted"' in wrong.output


def _labels(tmp_path: Path) -> Path:
    path = tmp_path / "labels.csv"
    pl.DataFrame({"text": list(TEXTS), "joy": [int(i < 12) for i in range(len(TEXTS))]}).write_csv(
        path
    )
    return path


def test_the_beam_job_decides_with_the_adapted_centroids_as_tag_does(tmp_path):
    """The centroids travel inside the markers, so the job's workers score as `tag` does."""
    corpus, data = _corpus(tmp_path / "posts.jsonl"), tmp_path / "data"
    _invoke("markers", "adapt", corpus, "--data-dir", data)
    (data / "config.toml").write_text('zero_shot = "adapted"\n', encoding="utf-8")
    adapted = configured_markers(load_settings(data), ["joy"])
    markers = {"joy": dataclasses.replace(adapted["joy"], rule="model")}
    assert "en" in markers["joy"].adapted
    job = IngestJob(
        inputs=[str(corpus)],
        landing_dir=str(tmp_path / "landing"),
        markers=markers,
        key=b"k" * 32,
        run_id="r1",
        options=PostOptions(models=ModelConfig()),
    )
    daily = pl.read_parquet(Path(run_ingest(job)) / "daily.parquet")
    posts = pl.read_ndjson(corpus).with_columns(
        pl.col("created_at").str.slice(0, 10).str.to_date().alias("day")
    )
    expected = (
        posts.with_columns(classify(posts, markers, config=ModelConfig())["joy"].alias("hit"))
        .group_by("day")
        .agg(pl.col("hit").sum().alias("n_marked"))
        .sort("day")
    )
    got = daily.filter(pl.col("region") == "north", pl.col("lang") == "en").sort("day")
    assert got["n_marked"].to_list() == expected["n_marked"].to_list()
    assert expected["n_marked"].sum() > 0
