"""The Markdown tables of benchmarks/markers.py, zero_shot.py and head_recipes.py come from one
helper (benchmarks.results.table_head and table_row), in the form RESULTS.md already holds."""

from benchmarks.head_recipes import Judged, render_cpu
from benchmarks.markers import risk_lines
from benchmarks.results import table_head, table_row
from benchmarks.zero_shot import oracle_lines


def test_label_columns_are_left_aligned_and_number_columns_right_aligned():
    assert table_head(["set", "marker"], ["a", "b"]) == [
        "| set | marker | a | b |",
        "|---|---|---:|---:|",
    ]
    assert table_row(["x", "1", "—"]) == "| x | 1 | — |"


def test_each_script_renders_its_tables_as_before():
    found = {"shipped": {"covidemo_en": {"joy": (0.5, 0.25, 0.75)}}}
    assert oracle_lines(found, ["shipped"])[-3:] == [
        "| scoring | covidemo_en |",
        "|---|---:|",
        "| shipped | 0.250 / 0.750 |",
    ]
    judged = Judged("isear_en", 10, {}, {}, {"ngram": 1234.5}, None, True)
    assert render_cpu([judged], ["ngram", "hybrid"])[-3:] == [
        "| set | ngram | hybrid |",
        "|---|---:|---:|",
        "| isear_en | 1,234.5 | — |",
    ]
    results = {"rmhd27_reddit_en": {"lexicon": {"suicide_risk": (0.0, 0.5, 0.0, 0, 0.125)}}}
    lines = risk_lines(results)
    assert lines[3:5] == [
        "| set | marker | lexicon | zero-shot | both | either | rule | ngram head |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    assert lines[5] == "| rmhd27_reddit_en | suicide_risk | 0.50 / 0.125 | — | — | — | — | — |"
