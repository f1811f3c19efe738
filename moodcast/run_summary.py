"""What a run did (RunSummary: the `--json` object and the stderr summary) and how its release
is protected (release_protection)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from moodcast.config import Settings
from transforms.privacy import DEFAULT_K


@dataclass(frozen=True)
class RunSummary:
    """What a run did. `read = valid + dead_lettered + duplicates + sum(filtered)`."""

    run_id: str
    read: int
    valid: int
    dead_lettered: int
    duplicates: int
    filtered: dict[str, int]
    days: int
    series: int
    alerts: int
    dead_letter_reasons: dict[str, int] = field(default_factory=dict)
    exports: tuple[Path, ...] = ()
    files: dict[str, tuple[int, int]] = field(default_factory=dict)
    relabelled: dict[str, int] = field(default_factory=dict)
    k: int = DEFAULT_K
    not_forecast: dict[str, int] = field(default_factory=dict)
    release: str = ""
    """How the release is protected (`release_protection`); empty: `k = {k}`."""

    def as_json(self) -> dict:
        """The `--json` object: read, valid, dead_lettered, duplicates, filtered, days, series,
        alerts (and run_id); `files`: per input path, records read and dead-lettered;
        `relabelled`: values replaced (e.g. regions counted as unknown); `k`."""
        return {
            "files": {
                path: {"read": read, "dead_lettered": dead}
                for path, (read, dead) in sorted(self.files.items())
            },
            "relabelled": dict(sorted(self.relabelled.items())),
            "k": self.k,
            "run_id": self.run_id,
            "read": self.read,
            "valid": self.valid,
            "dead_lettered": self.dead_lettered,
            "duplicates": self.duplicates,
            "filtered": dict(sorted(self.filtered.items())),
            "days": self.days,
            "series": self.series,
            "alerts": self.alerts,
        }

    def describe(self) -> str:
        """A short human summary for stderr."""
        filtered = (
            ", ".join(f"{n:,} {reason}" for reason, n in sorted(self.filtered.items())) or "none"
        )
        dead = ", ".join(
            f"{n:,} {reason}" for reason, n in sorted(self.dead_letter_reasons.items())
        )
        damaged = [(p, r, d) for p, (r, d) in sorted(self.files.items()) if d]
        per_file = "; ".join(f"{p}: {r:,} read, {d:,} dead-lettered" for p, r, d in damaged[:5])
        relabelled = ", ".join(f"{n:,} {why}" for why, n in sorted(self.relabelled.items()))
        skipped = "; ".join(
            f"{n:,} series{', each' if n > 1 and why[:1].isupper() else ''}: {_clause(why)}"
            for why, n in sorted(self.not_forecast.items())
        )
        return (
            f"run {self.run_id}: read {self.read:,} posts from {len(self.files):,} file(s); "
            f"{self.valid:,} valid; "
            f"{self.dead_lettered:,} dead-lettered{f' ({dead})' if dead else ''}; "
            f"{self.duplicates:,} duplicates; filtered: {filtered}. "
            + (f"Relabelled: {relabelled}. " if relabelled else "")
            + (
                f"Files with dead letters: {per_file}{f'; {len(damaged) - 5} more' if len(damaged) > 5 else ''}. "
                if damaged
                else ""
            )
            + f"{self.days:,} days loaded, {self.series:,} series forecast, "
            f"{self.alerts:,} alert periods; published with {self.release or f'k = {self.k}'}."
            + (f" Not forecast: {skipped}." if skipped else "")
        )


def _clause(reason: str) -> str:
    """A reason why series were not forecast, as a clause of the summary's sentence: a reason
    written as a sentence (transforms.series.left_out_reason, forecasting's notes) without its
    capital and full stop (the summary puts `each` before such a sentence about one series
    where it stands for several: `18 series, each: its cells fall below k`)."""
    if reason[:1].isupper() and reason[1:2].islower():
        reason = reason[0].lower() + reason[1:]
    return reason.removesuffix(".")


def release_protection(settings: Settings) -> str:
    """How a release under `settings` is protected, for the run's log and summary: `k = 11`, or
    the DP budget (in DP mode nothing is withheld, so k says nothing about it)."""
    budget = settings.dp_budget
    if budget is None:
        return f"k = {settings.k}"
    return (
        f"differential privacy, (ε, δ) = ({budget.epsilon:g}, {budget.delta:g}) per author "
        "per local day"
    )
