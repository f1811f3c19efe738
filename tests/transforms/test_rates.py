import json

import polars as pl
import pytest

from transforms.rates import (
    RATES_SCHEMA,
    SCORE_COLUMNS,
    SHIPPED_RATES,
    USER_RATES_NAME,
    confusion_rates,
    merged_rates,
    read_shipped_rates,
    read_user_rates,
    write_user_rates,
)


def test_confusion_rates_count_per_marker_and_language_and_leave_out_no_source(tmp_path):
    source = tmp_path / "labels.csv"
    source.write_text("anything", encoding="utf-8")
    gold = pl.DataFrame({"lang": ["en", "en", "en", "es", "es"], "sad": [1, 1, 0, 1, 0]})
    hits = pl.DataFrame({"sad": [True, False, True, None, False]})
    rates = confusion_rates(gold, hits, versions={"sad": "v1"}, source=source)
    assert rates.columns == list(RATES_SCHEMA)
    en, es = rates.rows(named=True)
    assert (en["lang"], en["tp"], en["fn"], en["fp"], en["tn"]) == ("en", 1, 1, 1, 0)
    assert (en["tpr"], en["fpr"], en["n"]) == (0.5, 1.0, 3)
    assert (es["tp"], es["fn"], es["fp"], es["tn"], es["tpr"]) == (0, 0, 0, 1, None)
    assert en["source"] == "labels.csv" and en["marker_version"] == "v1"


def test_the_users_rows_replace_the_shipped_ones_of_the_same_marker_and_language(tmp_path):
    shipped = read_shipped_rates()
    mine = shipped.head(1).with_columns(pl.lit("mine.csv").alias("source"), pl.lit(7).alias("tp"))
    path = write_user_rates(tmp_path, mine)
    assert json.loads(path.read_text(encoding="utf-8"))["rates"][0]["source"] == "mine.csv"
    assert read_user_rates(tmp_path).height == 1
    merged = merged_rates(tmp_path)
    assert merged.height == shipped.height
    key = mine.select("marker", "lang").row(0)
    row = merged.filter(pl.col("marker") == key[0], pl.col("lang") == key[1])
    assert row["source"].item() == "mine.csv" and row["tp"].item() == 7


def test_the_shipped_table_has_one_row_per_marker_and_language_with_provenance():
    table = pl.read_csv(SHIPPED_RATES, infer_schema=False)
    assert {"source", "source_sha256", "licence", "measured_on"} <= set(table.columns)
    assert not table.select("marker", "lang").is_duplicated().any()
    assert set(table.get_column("licence")) <= {"CC BY 4.0", "MIT"}


def test_confusion_rates_record_the_probability_statistics_where_every_post_has_one(tmp_path):
    source = tmp_path / "labels.csv"
    source.write_text("anything", encoding="utf-8")
    gold = pl.DataFrame({"lang": ["en"] * 4 + ["es"] * 3, "sad": [1, 1, 0, 0, 1, 0, 0]})
    hits = pl.DataFrame({"sad": [True, False, True, False, True, False, False]})
    scores = pl.DataFrame({"sad": [0.9, 0.5, 0.4, 0.0, 0.8, None, 0.1]})
    rates = confusion_rates(
        gold,
        hits,
        versions={"sad": "v1"},
        source=source,
        scores=scores,
        score_sources={("sad", "en"): "ngram head", ("sad", "es"): "ngram head"},
    )
    en, es = rates.rows(named=True)
    assert (en["score_pos_mean"], en["score_neg_mean"]) == pytest.approx((0.7, 0.2))
    assert (en["score_pos_var"], en["score_neg_var"]) == pytest.approx((0.04, 0.04))
    assert en["score_source"] == "ngram head"
    assert all(es[c] is None for c in (*SCORE_COLUMNS, "score_source"))
    assert (es["tp"], es["tn"]) == (1, 2)


def test_rates_written_before_the_probability_statistics_still_load(tmp_path):
    old = {
        "marker": "sad", "lang": "en", "marker_version": "v1", "tp": 8, "fn": 2, "fp": 1,
        "tn": 9, "tpr": 0.8, "fpr": 0.1, "n": 20, "measured_on": "2026-12-01",
        "source": "old.csv", "source_sha256": "0" * 64,
    }  # fmt: skip
    (tmp_path / USER_RATES_NAME).write_text(json.dumps({"rates": [old]}), encoding="utf-8")
    rates = read_user_rates(tmp_path)
    assert rates.columns == list(RATES_SCHEMA)
    row = rates.row(0, named=True)
    assert row["tp"] == 8 and all(row[c] is None for c in (*SCORE_COLUMNS, "score_source"))
    assert (
        merged_rates(tmp_path).filter(pl.col("marker") == "sad", pl.col("lang") == "en").height == 1
    )
    assert read_shipped_rates().columns == list(RATES_SCHEMA)
