import numpy as np

from benchmarks.zero_shot_ceiling import oracle_f1


def brute_force(score: np.ndarray, gold: np.ndarray) -> float:
    best = 0.0
    for cut in np.unique(score):
        flagged = score >= cut
        tp = (flagged & gold).sum()
        best = max(best, 2 * tp / (flagged.sum() + gold.sum()))
    return best


def test_oracle_f1_is_the_best_cut_with_ties():
    rng = np.random.default_rng(3)
    for _ in range(50):
        score = rng.integers(0, 6, size=40).astype(float)
        gold = rng.random(40) < 0.3
        gold[0] = True
        assert oracle_f1(score, gold) == brute_force(score, gold)


def test_a_cut_inside_a_tie_is_not_counted():
    score = np.array([1.0, 1.0, 0.0])
    gold = np.array([True, False, False])
    assert oracle_f1(score, gold) == 2 * 1 / (2 + 1)
