"""Complementary suppression on lines of cells (transforms.privacy.protect_lines)."""

import polars as pl

from transforms.contracts import ALL
from transforms.privacy import lonely_cells, protect_lines


def _line(sizes: list[int], known: list[bool] | None = None) -> pl.DataFrame:
    """One line of period 1 in language en: children a, b, c and their roll-up (`size` from
    `sizes` in that order), a alone withheld (`w`), and `known` where given."""
    cells = pl.DataFrame(
        {
            "p": [1] * 4,
            "region": ["a", "b", "c", ALL],
            "lang": ["en"] * 4,
            "w": [True, False, False, False],
            "size": sizes,
        }
    )
    return cells if known is None else cells.with_columns(pl.Series("known", known))


def test_protect_lines_withholds_the_smallest_child_and_keeps_the_rest():
    cells = _line([5, 50, 20, 75])
    assert lonely_cells(cells, flag="w", keys=("p",))["region"].to_list() == ["a"]
    out = protect_lines(cells, flag="w", size="size", keys=("p",))
    assert lonely_cells(out, flag="w", keys=("p",)).is_empty()
    assert out["w"].to_list() == [True, False, True, False]
    assert out.drop("w").equals(cells.drop("w"))


def test_protect_lines_withholds_an_unknown_rollup_before_a_known_child_whatever_its_size():
    """On lines of 8-week totals a roll-up published by week has the largest size; before,
    with every child known, the smallest known child was withheld, which closes nothing."""
    cells = _line([5, 50, 20, 2**62], [False, True, True, False])
    out = protect_lines(cells, flag="w", size="size", keys=("p",), known="known")
    assert out["w"].to_list() == [True, False, False, True]


def test_protect_lines_counts_no_known_cell_as_closing_a_line():
    """A roll-up and every child but the lonely one known: any one of them withheld would be
    read off an earlier release, so the line is withheld whole. Before, the smallest known
    child alone was withheld."""
    cells = _line([5, 50, 20, 75], [False, True, True, True])
    out = protect_lines(cells, flag="w", size="size", keys=("p",), known="known")
    assert out["w"].to_list() == [True, True, True, True]
    closed = _line([5, 50, 20, 75], [False, True, False, True])
    out = protect_lines(closed, flag="w", size="size", keys=("p",), known="known")
    assert out["w"].to_list() == [True, False, True, False]
