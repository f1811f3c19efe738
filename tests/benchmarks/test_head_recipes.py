from benchmarks.head_recipes import Judged, grids_of, replayed_grid


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
