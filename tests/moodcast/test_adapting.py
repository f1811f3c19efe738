"""`zero_shot = "adapted"`: `moodcast markers adapt` fits centroids once, and tag, evaluate and
the Beam job score with them; missing or stale centroids are refused."""

import dataclasses
import errno
import hashlib
import json
import tempfile
from pathlib import Path

import numpy as np
import orjson
import polars as pl
import pytest
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
    _assert_no_post_is_stored(json.loads(first), corpus)
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


def _assert_no_post_is_stored(fitted: dict, corpus: Path) -> None:
    """The fit holds numbers and these strings only: no text, post id or author id."""
    assert set(fitted) == {
        "lang", "model", "markers", "package", "weight", "min_posts", "posts", "corpus", "moved",
        "centroids",
    }  # fmt: skip
    strings = {fitted["lang"], fitted["model"], fitted["markers"], fitted["package"],
               fitted["corpus"]}  # fmt: skip
    assert fitted["corpus"] == str(corpus) and len(fitted["markers"]) == 16
    assert all(isinstance(v, int) for v in fitted["moved"].values())
    for vector in fitted["centroids"].values():
        assert all(isinstance(v, float) for v in vector)
    assert not strings & {*TEXTS, *(f"p{i}" for i in range(len(TEXTS))), "a0"}


def _labels(tmp_path: Path) -> Path:
    path = tmp_path / "labels.csv"
    pl.DataFrame({"text": list(TEXTS), "joy": [int(i < 12) for i in range(len(TEXTS))]}).write_csv(
        path
    )
    return path


def test_the_beam_job_decides_with_the_adapted_centroids_as_tag_does(tmp_path):
    """The centroids travel inside the markers, so the job's workers score as `tag` does: at
    a cut where the shipped centroids flag another number of posts than the adapted ones, the
    job counts the adapted decisions."""
    corpus, data = _corpus(tmp_path / "posts.jsonl"), tmp_path / "data"
    _invoke("markers", "adapt", corpus, "--data-dir", data)
    (data / "config.toml").write_text('zero_shot = "adapted"\n', encoding="utf-8")
    joy = configured_markers(load_settings(data))["joy"]
    assert "en" in joy.adapted
    cut = _telling_cut(joy, load_markers(names=["joy"])["joy"])
    markers = {"joy": dataclasses.replace(joy, rule="model", thresholds={"en": cut})}
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


def _telling_cut(adapted, shipped) -> float:
    """A threshold, well away from every score, at which `adapted` (scored with its fitted
    centroids) flags another number of TEXTS than `shipped`."""
    encoder = load_encoder()
    x = encoder.encode(list(TEXTS))
    fitted = zero_shot(x, marker=adapted, lang="en", encoder=encoder)
    plain = zero_shot(x, marker=shipped, lang="en", encoder=encoder)
    points = np.sort(np.concatenate([fitted, plain]))
    return next(
        float(cut)
        for cut, gap in zip((points[1:] + points[:-1]) / 2, np.diff(points), strict=True)
        if gap > 1e-2 and (fitted >= cut).sum() != (plain >= cut).sum()
    )


def test_a_fit_without_its_centroids_is_refused_with_what_to_run(tmp_path):
    """A file that names the right markers and model but holds no usable centroids (cut short
    by hand, or edited) is refused as not a fit, not a KeyError or a numpy traceback."""
    from moodcast.adapting import base_markers, fit_basis
    from transforms.zero_shot import SourceError

    data = tmp_path / "data"
    (data / "adapted").mkdir(parents=True)
    (data / "config.toml").write_text('zero_shot = "adapted"\n', encoding="utf-8")
    settings = load_settings(data)
    basis = fit_basis(base_markers(settings), settings.models["en"]) | {"min_posts": settings.k}
    for centroids in (None, [], {"joy": "not a vector"}, {"joy": [0.1, None]}):
        document = basis | ({} if centroids is None else {"centroids": centroids})
        (data / "adapted" / "en.json").write_text(json.dumps(document), encoding="utf-8")
        with pytest.raises(SourceError, match="run it again"):
            configured_markers(settings)


def test_a_centroid_moves_only_on_at_least_k_posts_and_a_fit_on_fewer_is_refused(tmp_path):
    """A moved centroid holds the mean embedding of the posts flagged for its marker alone, so
    it moves only on at least the small-cell minimum k of them (12 joy posts: not at k = 13);
    a fit made under a smaller k than the configured one is refused with what to run."""
    corpus, data = _corpus(tmp_path / "posts.jsonl"), tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text("k = 13\n", encoding="utf-8")
    (strict,) = map(json.loads, _invoke("markers", "adapt", corpus, "--json", "--data-dir", data)
                    .stdout.splitlines())  # fmt: skip
    assert strict["moved"] == {}
    assert json.loads((data / "adapted" / "en.json").read_text())["min_posts"] == 13
    (data / "config.toml").write_text("k = 12\n", encoding="utf-8")
    (fitted,) = map(json.loads, _invoke("markers", "adapt", corpus, "--json", "--data-dir", data)
                    .stdout.splitlines())  # fmt: skip
    assert {"joy", "sadness"} <= set(fitted["moved"])
    (data / "config.toml").write_text('k = 13\nzero_shot = "adapted"\n', encoding="utf-8")
    refused = _invoke("markers", "list", "--data-dir", data, code=5)
    assert "fewer than 13 posts" in refused.output and "markers adapt" in refused.output


def test_train_needs_no_fit_as_it_trains_heads_on_labels(tmp_path):
    """`markers train` learns a head from labels, not from the zero-shot centroids, so it runs
    under `zero_shot = "adapted"` before any `markers adapt`; the commands that score still
    ask for the fit."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text('zero_shot = "adapted"\n', encoding="utf-8")
    trained = _invoke("markers", "train", "--labels", _labels(tmp_path), "--family", "ngram",
                      "--json", "--data-dir", data)  # fmt: skip
    head = json.loads(trained.stdout)
    assert head["marker"] == "joy" and head["rows"] == len(TEXTS) and not head["new_marker"]
    assert (data / "markers" / "joy.head.json").is_file()
    assert "markers adapt" in _invoke("markers", "list", "--data-dir", data, code=5).output


def test_each_adapt_run_writes_through_its_own_partial_file(tmp_path):
    """Two `markers adapt` runs at once must not write into one partial file: a run's partial
    file is its own, so another's (here one still in place) neither blocks nor mixes with it,
    and none of its own is left behind."""
    corpus, data = _corpus(tmp_path / "posts.jsonl"), tmp_path / "data"
    other = data / "adapted" / "en.json.partial"
    other.mkdir(parents=True)
    _invoke("markers", "adapt", corpus, "--data-dir", data)
    assert sorted(p.name for p in (data / "adapted").iterdir()) == ["en.json", "en.json.partial"]
    assert json.loads((data / "adapted" / "en.json").read_text())["lang"] == "en"


def test_an_adapt_run_that_cannot_write_its_fit_leaves_no_partial_file(tmp_path, monkeypatch):
    """A full disk while the fit is written fails the run and leaves nothing in adapted/."""
    corpus, data = _corpus(tmp_path / "posts.jsonl"), tmp_path / "data"
    made = tempfile.NamedTemporaryFile

    def no_space(text):
        raise OSError(errno.ENOSPC, "No space left on device")

    def full(*args, **kwargs):
        handle = made(*args, **kwargs)
        handle.write = no_space
        return handle

    monkeypatch.setattr("moodcast.adapting.tempfile.NamedTemporaryFile", full)
    result = CliRunner().invoke(main, ["markers", "adapt", str(corpus), "--data-dir", str(data)])
    assert result.exit_code != 0
    assert list((data / "adapted").iterdir()) == []


def test_calibrate_says_the_adapted_table_sets_an_adapted_markers_threshold(tmp_path):
    """Under `zero_shot = "adapted"` a `threshold` in the marker file does not apply to an
    adapted marker, so calibrate does not advise setting one there; it does for the others."""
    corpus, data = _corpus(tmp_path / "posts.jsonl"), tmp_path / "data"
    _invoke("markers", "adapt", corpus, "--data-dir", data)
    (data / "config.toml").write_text('zero_shot = "adapted"\n', encoding="utf-8")
    labels = tmp_path / "labels.csv"
    pl.DataFrame(
        {
            "text": list(TEXTS),
            "joy": [int(i < 12) for i in range(len(TEXTS))],
            "calm": [int(i >= 24) for i in range(len(TEXTS))],
        }
    ).write_csv(labels)
    lines = _invoke("markers", "calibrate", "--labels", labels, "--data-dir", data).stdout
    joy, calm = (
        next(line for line in lines.splitlines() if line.startswith(name) and "threshold" in line)
        for name in ("joy ", "calm ")
    )
    assert "adapted table" in joy and "adapted table" not in calm
    rows = _invoke("markers", "calibrate", "--labels", labels, "--json", "--data-dir", data)
    adapted = {(r["marker"], r["lang"]): r["adapted"] for r in map(json.loads,
               rows.stdout.splitlines())}  # fmt: skip
    assert adapted == {("joy", "en"): True, ("calm", "en"): False}


def test_the_sample_is_fixed_by_a_stable_hash_of_the_text(tmp_path):
    """The posts fitted on are the `--max-posts` of lowest BLAKE2b key of their model text per
    language: the same on every polars version, so a rerun after an upgrade writes the same
    file (polars' own hash is stable only within one version)."""
    from moodcast.adapting import corpus_posts, sample_key
    from transforms.model_scoring import model_text
    from transforms.text import LanguageRule

    texts = pl.Series(["so sad today", "Naïve café ☕", ""])
    expected = [int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest(), "big")
                for t in texts]  # fmt: skip
    assert pl.select(sample_key(pl.lit(texts))).to_series().to_list() == expected
    corpus = _corpus(tmp_path / "posts.jsonl")
    chosen, _ = corpus_posts(corpus, load_settings(tmp_path / "data"), rule=LanguageRule(),
                             max_posts=5)  # fmt: skip
    model = pl.select(model_text(pl.lit(pl.Series(TEXTS)))).to_series().unique().to_list()
    lowest = sorted(model, key=lambda t: hashlib.blake2b(t.encode(), digest_size=8).digest())
    assert chosen.get_column("text").to_list() == lowest[:5]


def test_a_fit_by_another_moodcast_version_is_refused_as_its_lexicon_flags_may_differ(
    tmp_path, monkeypatch
):
    """The fit moves centroids toward the posts the lexicon flags, and the matching rules
    (normalisation, negation, the first-person cue) ship with the package: a fit made by
    another version is stale, with what to run."""
    corpus, data = _corpus(tmp_path / "posts.jsonl"), tmp_path / "data"
    _invoke("markers", "adapt", corpus, "--data-dir", data)
    (data / "config.toml").write_text('zero_shot = "adapted"\n', encoding="utf-8")
    assert "en" in configured_markers(load_settings(data))["joy"].adapted
    fit = data / "adapted" / "en.json"
    made_by = json.loads(fit.read_text(encoding="utf-8"))["package"]
    monkeypatch.setattr("moodcast.adapting.version", lambda name: "0.0.0+other")
    refused = _invoke("markers", "list", "--data-dir", data, code=5)
    assert f"fitted by moodcast {made_by}, not this one (0.0.0+other)" in refused.output
    assert "markers adapt" in refused.output
    unversioned = {k: v for k, v in json.loads(fit.read_text(encoding="utf-8")).items()
                   if k != "package"}  # fmt: skip
    fit.write_text(json.dumps(unversioned), encoding="utf-8")
    refused = _invoke("markers", "list", "--data-dir", data, code=5)
    assert "fitted by a moodcast before 2026-12" in refused.output
