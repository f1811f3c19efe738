from benchmarks.head_recipes import Judged, grids_of, render_fixed, replayed_grid


def _judged(heads: dict[str, tuple[float, float, float]]) -> Judged:
    """One label, `a`, with (CV, dev, test) F1 per column `<candidate> C=<c>`."""
    labels = {column: {"a": scores} for column, scores in heads.items()}
    return Judged("t", 10, {}, labels, {}, None, modelled=True)


def test_auto_is_replayed_at_each_familys_best_cv_c_then_choose_family():
    judged = _judged({
        "ngram ngram-v1 C=1": (0.50, 0.50, 0.51), "ngram ngram-v1 C=4": (0.60, 0.40, 0.41),
        "embedding C=1": (0.75, 0.80, 0.81), "embedding C=4": (0.75, 0.60, 0.61),
        "hybrid ngram-v1 C=1": (0.65, 0.70, 0.71), "hybrid ngram-v1 C=4": (0.76, 0.30, 0.31),
    })  # fmt: skip
    assert replayed_grid(judged, (1.0,)) == (0.80, 0.81, {1.0: 1})
    assert replayed_grid(judged, (1.0, 4.0)) == (0.30, 0.31, {1.0: 0, 4.0: 1})
    assert replayed_grid(judged, (4.0,)) == (0.30, 0.31, {4.0: 1})
    assert replayed_grid(judged, (1.0, 16.0)) is None
    assert grids_of("0.25/1,4") == [(0.25,), (1.0, 4.0)]


def test_a_tie_of_cv_f1_keeps_the_smaller_c():
    judged = _judged({
        "ngram ngram-v1 C=1": (0.90, 0.50, 0.50), "ngram ngram-v1 C=4": (0.90, 0.40, 0.40),
        "embedding C=1": (0.10, 0.0, 0.0), "embedding C=4": (0.10, 0.0, 0.0),
        "hybrid ngram-v1 C=1": (0.10, 0.0, 0.0), "hybrid ngram-v1 C=4": (0.10, 0.0, 0.0),
    })  # fmt: skip
    assert replayed_grid(judged, (1.0, 4.0)) == (0.50, 0.50, {1.0: 1, 4.0: 0})


def test_fixed_c_is_compared_with_c1_by_mean_and_by_each_sets_dev_fall():
    def row(title: str, cells: dict[str, tuple[float, float]]) -> Judged:
        return Judged(title, 10, cells, {}, {}, None, modelled=False)

    rows = [
        row("a", {"ngram ngram-v1 C=1": (0.50, 0.40), "ngram ngram-v1 C=4": (0.60, 0.50)}),
        row("b", {"ngram ngram-v1 C=1": (0.70, 0.70), "ngram ngram-v1 C=4": (0.68, 0.72)}),
        row("c", {"ngram ngram-v1 C=1": (0.90, 0.90)}),
    ]
    lines = render_fixed(rows, ["ngram ngram-v1 C=1", "ngram ngram-v1 C=4"], [1.0, 4.0])
    assert lines[-2:] == [
        "| ngram ngram-v1 | 1 | 2 | 0.600 / 0.550 | +0.000 | — |",
        "| ngram ngram-v1 | 4 | 2 | 0.640 / 0.610 | -0.020 | b |",
    ]
