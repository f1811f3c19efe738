"""`moodcast export`, and the exports a run writes: the published warehouse as files.

Kept apart from moodcast.run so that exporting loads no Beam or forecasting library.
"""

from __future__ import annotations

from pathlib import Path

import warehouse
from moodcast.config import Settings

EXPORT_FORMATS = ("csv", "parquet")


def export_published(settings: Settings, *, out_dir: Path, fmt: str | None = None) -> list[Path]:
    """Export the published warehouse to `out_dir` in `fmt` (both formats when None)."""
    con = warehouse.open_published(settings.data_dir)
    try:
        paths: list[Path] = []
        for each in [fmt] if fmt else EXPORT_FORMATS:
            paths += warehouse.export(con, out_dir, fmt=each, k=settings.k, tz=settings.tz)
        return paths
    finally:
        con.close()
