"""Small click helpers shared by the CLI modules (`cli`, `cli_alerts`): a module of its own
because `cli` imports `cli_alerts`."""

from __future__ import annotations

from datetime import date

import click


def iso_date(ctx, param, value: str | None) -> date | None:
    """click callback: `value` (YYYY-MM-DD) as a date; None stays None."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date like 2025-03-01") from exc
