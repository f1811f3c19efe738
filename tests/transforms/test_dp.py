import math
from datetime import date

import polars as pl
import pytest

from transforms.aggregate import AUTHOR_DAY_SCHEMA
from transforms.contracts import ALL
from transforms.dp import Budget, DayNoise, bounded_cells, dp_release, noisy_day

D = date(2025, 3, 3)
VERSIONS = {"fear": "v1", "joy": "v2"}


def _author_days() -> pl.DataFrame:
    """Author a posts in two cells (3 posts in north/en, 1 in south/en); b and c once each."""
    rows = [
        ("north", "en", "fear", "a", 3, 3, 1),
        ("north", "en", "joy", "a", 3, 3, 0),
        ("south", "en", "fear", "a", 1, 1, 1),
        ("south", "en", "joy", "a", 1, 1, 1),
        ("south", "en", "fear", "b", 2, 2, 2),
        ("south", "en", "joy", "b", 2, 2, 0),
        ("south", "es", "fear", "c", 1, 1, 0),
        ("south", "es", "joy", None, 4, 4, 4),
    ]
    return pl.DataFrame(
        [(D, r, lang, m, au, p, s, k, 1.0) for r, lang, m, au, p, s, k in rows],
        schema=AUTHOR_DAY_SCHEMA,
        orient="row",
    )


def test_each_author_counts_in_one_cell_a_day_where_they_posted_most():
    cells = bounded_cells(_author_days())
    got = {(r, lang, m): (a, k) for _, r, lang, m, k, a in cells.iter_rows()}
    assert got == {
        ("north", "en", "fear"): (1, 1),
        ("north", "en", "joy"): (1, 0),
        ("south", "en", "fear"): (1, 1),
        ("south", "en", "joy"): (1, 0),
        ("south", "es", "fear"): (1, 0),
    }


def test_the_noise_scale_spends_the_stated_budget():
    loose, tight = Budget(epsilon=2.0), Budget(epsilon=0.5)
    assert loose.scale(2) < tight.scale(2) < tight.scale(20)
    rho = (math.sqrt(3) / tight.scale(2)) ** 2 / 2
    epsilon = rho + 2 * math.sqrt(rho * math.log(1 / tight.delta))
    assert 0.5 <= epsilon <= 0.5 * 1.25
    with pytest.raises(ValueError, match="epsilon > 0"):
        Budget(epsilon=0)


class _Exact(DayNoise):
    """The release without noise: what the noisy ones estimate."""

    scale = 0.0

    def release(self, counts):
        return [float(c) for c in counts]


def test_repeated_releases_are_unbiased_and_their_intervals_cover():
    bounded = bounded_cells(_author_days())
    noise = DayNoise(Budget(epsilon=1.0), n_markers=len(VERSIONS))
    truth = dp_release(noisy_day(bounded, VERSIONS, noise=_Exact(Budget(), 2), run_id="t"))
    releases = pl.concat(
        dp_release(noisy_day(bounded, VERSIONS, noise=noise, run_id="r")).with_columns(
            pl.lit(i).alias("release")
        )
        for i in range(300)
    )
    keys = ["region", "lang", "marker"]
    joined = releases.join(
        truth.select(*keys, pl.col("n_marked_authors").alias("true")), on=keys
    ).with_columns(
        (
            (pl.col("n_marked_authors") - pl.col("true")).abs() <= 1.959964 * pl.col("noise_sd")
        ).alias("covered")
    )
    summary = joined.group_by(keys).agg(
        (pl.col("n_marked_authors").mean() - pl.col("true").first()).alias("bias"),
        (pl.col("noise_sd").first() / math.sqrt(300)).alias("se"),
        pl.col("covered").mean(),
    )
    assert summary.height == 16
    assert (summary["bias"].abs() <= 5 * summary["se"]).all()
    assert abs(joined["covered"].mean() - 0.95) <= 0.02


def test_roll_ups_are_sums_of_the_released_cells():
    bounded = bounded_cells(_author_days())
    release = dp_release(noisy_day(bounded, VERSIONS, noise=DayNoise(Budget(), 2), run_id="r"))
    base = release.filter((pl.col("region") != ALL) & (pl.col("lang") != ALL))
    total = release.filter((pl.col("region") == ALL) & (pl.col("lang") == ALL))
    for marker in VERSIONS:
        assert total.filter(pl.col("marker") == marker)["n_marked_authors"][0] == pytest.approx(
            base.filter(pl.col("marker") == marker)["n_marked_authors"].sum()
        )
    assert total["noise_sd"][0] == pytest.approx(base["noise_sd"][0] * math.sqrt(3))
    assert set(release["marker_version"]) == {"v1", "v2"}
