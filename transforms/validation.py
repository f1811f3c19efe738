"""Whether prevalence adjusted for marker error can be published: the validation statuses.

A marker × language is VALIDATED when its measured rates stand on enough labelled posts and
tell true cases apart well enough to correct for (transforms.quantify.status); otherwise its
status says why. A `lang = all` roll-up has statuses of its own (transforms.rollups).
"""

from __future__ import annotations

import polars as pl

MIN_YOUDEN = 0.2
"""Smallest `tpr - fpr` (Youden's J) at which a marker × language counts as validated."""
MIN_CLASS_LABELS = 25
"""Fewest labelled positives, and fewest labelled negatives, behind validated rates."""

VALIDATED = "validated"
NO_RATES = "not validated: no labelled data for this marker and language"
FEW_LABELS = (
    f"not validated: fewer than {MIN_CLASS_LABELS} labelled positives or negatives behind the rates"
)
UNINFORMATIVE = "not validated: the marker flags true cases no more often than others (tpr <= fpr)"
WEAK = f"not validated: tpr - fpr below {MIN_YOUDEN}, too weak to correct for"
OTHER_VERSION = "not validated: the rates were measured on another version of the marker"
BOUNDED = "validated in part: languages without validated rates bounded between 0 and 1"
MIXED = "not validated: some language of this roll-up is not validated"
HIDDEN_PART = (
    "not validated: some language of this roll-up is suppressed or published by another period, "
    "so it cannot be combined"
)
STATUS = pl.Enum(
    [
        VALIDATED,
        BOUNDED,
        NO_RATES,
        OTHER_VERSION,
        FEW_LABELS,
        UNINFORMATIVE,
        WEAK,
        MIXED,
        HIDDEN_PART,
    ]
)
"""Every validation status, as a polars Enum (cheap to compare and group). A roll-up's
`validation` that is BOUNDED, MIXED or HIDDEN_PART goes on to name its languages that are not
validated, suppressed or published by another period (`with_adjusted_prevalence`), except a
HIDDEN_PART roll-up given no language row at all, which has none to name; a published
roll-up always has them (transforms.publish.adjusted_timelines joins the languages of other
periods)."""
