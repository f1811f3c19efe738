"""`moodcast export`, and the exports a run writes: the published warehouse as files.

Kept apart from moodcast.run so that exporting loads no Beam or forecasting library.
"""

from __future__ import annotations

from pathlib import Path

import warehouse
from moodcast.config import Settings
from transforms.errors import ConfigError
from transforms.rates import merged_rates
from warehouse.exports import versions_dir

EXPORT_FORMATS = ("csv", "parquet")


def publish_exports(settings: Settings) -> list[Path]:
    """Publish every export format of the published warehouse as one set in
    `settings.exports_dir` (warehouse.export_versions.publish: readers never see half of it)."""
    con = warehouse.open_published(settings.data_dir)
    try:
        return warehouse.publish(
            con, settings.exports_dir, formats=EXPORT_FORMATS, **_options(settings)
        )
    finally:
        con.close()


def export_published(settings: Settings, *, out_dir: Path, fmt: str | None = None) -> list[Path]:
    """Export the published warehouse to `out_dir` in `fmt` (both formats when None). Raises
    ConfigError when `out_dir` lies in the data directory's published exports: writing there
    would change a published version behind its manifest."""
    published = [settings.exports_dir.resolve(), versions_dir(settings.exports_dir).resolve()]
    target = out_dir.resolve()
    if any(target == p or p in target.parents for p in published):
        raise ConfigError(
            f"-o {out_dir} is inside the published exports of {settings.data_dir}, which each "
            "run replaces as a whole (manifest.json holds every file's SHA-256); read them "
            "there, or export to another directory"
        )
    con = warehouse.open_published(settings.data_dir)
    try:
        formats = (fmt,) if fmt else EXPORT_FORMATS
        return warehouse.export(con, out_dir, formats=formats, **_options(settings))
    finally:
        con.close()


def _options(settings: Settings) -> dict:
    """What an export publishes under: k and the time zone, the week grain, the privacy mode
    and its budget, and the marker rates in force (transforms.rates.merged_rates), which adjust
    the shares."""
    return {
        "k": settings.k,
        "tz": settings.tz,
        "week_grain": settings.week_grain,
        "privacy": settings.privacy,
        "budget": settings.dp_budget,
        "rates": merged_rates(settings.data_dir),
    }
