"""The Beam job with a model-based marker in it: RunInference, sampling and the counts."""

import dataclasses
from pathlib import Path

import orjson
import polars as pl
import pytest

from ingest.job import IngestJob
from ingest.pipeline import run_ingest
from transforms.markers import load_markers
from transforms.model_markers import ModelConfig, classify, in_sample
from transforms.posts import PostOptions

KEY = b"k" * 32
TEXTS = {
    "en": ["I cried all night and I feel empty", "heartbroken, can't stop crying",
           "went for a run by the river", "new phone case arrived today",
           "so sad about everything lately", "lunch with the team was nice"],
    "es": ["estoy muy triste hoy", "fuimos al mercado temprano"],
}  # fmt: skip


def _posts():
    rows = []
    for i in range(300):
        lang = "es" if i % 5 == 0 else "en"
        rows.append(
            {
                "id": f"p{i}",
                "created_at": f"2025-03-0{1 + i % 2}T10:00:00Z",
                "text": TEXTS[lang][(i // 2) % len(TEXTS[lang])] + ("" if i % 3 else "  "),
                "lang": lang,
                "author_id": f"a{i % 40}",
                "region": "north",
            }
        )
    return rows


def _job_daily(tmp_path: Path, markers, config: ModelConfig) -> pl.DataFrame:
    """The daily aggregates of the Beam job over _posts() with `markers` and `config`."""
    path = tmp_path / "posts.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(p) for p in _posts()) + b"\n")
    job = IngestJob(
        inputs=[str(path)],
        landing_dir=str(tmp_path / "landing"),
        markers=markers,
        key=KEY,
        run_id="r1",
        options=PostOptions(models=config),
    )
    return pl.read_parquet(Path(run_ingest(job)) / "daily.parquet")


def _posts_by_day() -> pl.DataFrame:
    """_posts() with their `day`."""
    return pl.DataFrame(_posts()).with_columns(
        pl.col("created_at").str.slice(0, 10).str.to_date().alias("day")
    )


def _marked_as_classify(daily, markers, config: ModelConfig, *, rows: pl.Expr) -> pl.DataFrame:
    """The job's `daily` rows of region north that `rows` keeps, joined by day and language
    with the number of posts `classify` marks `sad` (`n_marked_expected`)."""
    posts = _posts_by_day()
    expected = (
        posts.with_columns(classify(posts, markers, config=config)["sad"].alias("hit"))
        .group_by("day", "lang")
        .agg(pl.col("hit").sum().alias("n_marked"))
    )
    got = daily.filter(pl.col("region") == "north", rows)
    return got.join(expected, on=["day", "lang"], suffix="_expected")


def test_a_sampled_model_marker_is_counted_over_the_scored_posts_only(tmp_path):
    sadness = dataclasses.replace(load_markers(names=["sadness"])["sadness"], rule="model")
    markers = {"sadness": sadness}
    config = ModelConfig(sample_rate=0.5)
    daily = _job_daily(tmp_path, markers, config)

    posts = _posts_by_day()
    decided = classify(posts, markers, config=ModelConfig())
    expected = (
        posts.with_columns(
            decided["sadness"].alias("hit"), in_sample(posts["id"], key=KEY, rate=0.5)
        )
        .with_columns(
            pl.when(pl.col("lang") == "es").then(True).otherwise("in_sample").alias("scored")
        )
        .group_by("day", "lang")
        .agg(
            pl.len().alias("n_posts"),
            pl.col("scored").sum().alias("n_scored"),
            pl.col("hit").filter(pl.col("scored")).sum().alias("n_marked"),
        )
    )
    got = daily.filter(pl.col("region") == "north", pl.col("lang") != "all")
    joined = got.join(expected, on=["day", "lang"], suffix="_expected")
    assert joined.height == 4
    for column in ("n_posts", "n_scored", "n_marked"):
        assert joined[column].to_list() == joined[f"{column}_expected"].to_list(), column
    en = joined.filter(pl.col("lang") == "en")
    assert (en["n_scored"] < en["n_posts"]).all() and (en["n_marked"] > 0).all()
    assert en["sample_rate"].to_list() == [0.5, 0.5]
    assert joined.filter(pl.col("lang") == "es")["sample_rate"].to_list() == [1.0, 1.0]
    rolled = daily.filter(pl.col("region") == "north", pl.col("lang") == "all")
    assert rolled["sample_rate"].to_list() == [0.5, 0.5]
    assert rolled["n_scored"].sum() == joined["n_scored"].sum()


def test_an_ngram_head_decides_in_the_job_as_in_tag_without_any_sentence_model(tmp_path):
    from moodcast.training import train_heads

    labels = pl.DataFrame(
        {
            "text": [t for lang in ("en", "es") for t in TEXTS[lang]],
            "lang": ["en"] * 6 + ["es"] * 2,
            "sad": [1, 1, 0, 0, 1, 0, 1, 0],
        }
    )
    no_model = ModelConfig(models={})
    heads = tmp_path / "heads"
    train_heads(labels, markers={}, config=no_model, out_dir=heads, origin="t", family="ngram")
    markers = load_markers(heads, names=["sad"])
    daily = _job_daily(tmp_path, markers, no_model)
    joined = _marked_as_classify(daily, markers, no_model, rows=pl.col("lang") != "all")
    assert joined.height == 4 and (joined["n_marked_expected"] > 0).all()
    assert joined["n_marked"].to_list() == joined["n_marked_expected"].to_list()


@pytest.mark.slow
def test_a_static_head_decides_in_the_job_as_in_tag_from_its_saved_model_alone(tmp_path):
    from moodcast.static_models import StaticSettings
    from moodcast.training import train_heads

    labels = pl.DataFrame({"text": TEXTS["en"] * 2, "lang": "en", "sad": [1, 1, 0, 0, 1, 0] * 2})
    small = StaticSettings(pca_dims=16, token_remove_pattern=r"^(?![a-z]{1,3}$|sad$|cried$)")
    heads = tmp_path / "heads"
    train_heads(labels, markers={}, config=ModelConfig(cache_dir=tmp_path / "cache"),
                out_dir=heads, origin="t", family="static", static=small)  # fmt: skip
    markers = load_markers(heads, names=["sad"])
    assert markers["sad"].heads["en"].model.startswith(str(heads.resolve()))
    no_model = ModelConfig(models={"en": str(tmp_path / "no-sentence-model")})
    daily = _job_daily(tmp_path, markers, no_model)
    joined = _marked_as_classify(daily, markers, no_model, rows=pl.col("lang") == "en")
    assert joined.height == 2 and (joined["n_marked_expected"] > 0).all()
    assert joined["n_marked"].to_list() == joined["n_marked_expected"].to_list()


@pytest.mark.slow
def test_a_finetune_head_decides_in_the_job_as_in_tag_from_its_own_saved_model(tmp_path):
    from moodcast.finetune import FinetuneSettings
    from moodcast.training import train_heads

    labels = pl.DataFrame({"text": TEXTS["en"] * 2, "lang": "en", "sad": [1, 1, 0, 0, 1, 0] * 2})
    config = ModelConfig(backend="torch")
    heads = tmp_path / "heads"
    settings = FinetuneSettings(epochs=1, batch_size=4, max_seq_length=16, max_steps=2)
    train_heads(labels, markers={}, config=config, out_dir=heads, origin="t", family="finetune",
                settings=settings)  # fmt: skip
    markers = load_markers(heads, names=["sad"])
    assert markers["sad"].heads["en"].model.startswith(str(heads.resolve()))
    daily = _job_daily(tmp_path, markers, config)
    joined = _marked_as_classify(daily, markers, config, rows=pl.col("lang") == "en")
    assert joined.height == 2 and (joined["n_marked_expected"] > 0).all()
    assert joined["n_marked"].to_list() == joined["n_marked_expected"].to_list()
