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


def test_protect_lines_leaves_a_line_whose_withheld_cells_are_all_public():
    """a withheld, its whole value published before: the roll-up minus b and c gives a reader
    what it holds already. Before, a known a closed nothing and hid nothing, yet the line
    counted as open: c, then b (both unknown) were withheld too; with b and c known as well,
    the whole line."""
    cells = _line([5, 50, 20, 75], [True, False, False, False])
    out = protect_lines(cells, flag="w", size="size", keys=("p",), known="known", public="known")
    assert out["w"].to_list() == [True, False, False, False]
    every = _line([5, 50, 20, 75], [True, True, True, True])
    out = protect_lines(every, flag="w", size="size", keys=("p",), known="known", public="known")
    assert out["w"].to_list() == [True, False, False, False]


def test_protect_lines_closes_a_line_whose_withheld_cell_is_known_only_in_part():
    """a withheld and known only in part (a day of its week): withheld beside no other cell,
    its other days follow from the roll-up minus b and c, so the line still takes two
    complements (a known cell closes nothing), c then b."""
    cells = _line([5, 50, 20, 75], [True, False, False, False])
    public = cells.with_columns(pl.lit(False).alias("public"))
    out = protect_lines(public, flag="w", size="size", keys=("p",), known="known", public="public")
    assert out["w"].to_list() == [True, True, True, False]
