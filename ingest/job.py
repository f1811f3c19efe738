"""What the ingest jobs are given: the batch job's settings (IngestJob) and, for the streaming
job, how each chunk's options follow the clock (Live)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from ingest.files import CHUNK_RECORDS
from transforms.contracts import MAX_TEXT_CHARS
from transforms.dp import Budget
from transforms.markers import Marker
from transforms.posts import PostOptions, lateness_horizon
from transforms.presets import InputMapping
from transforms.records import EARLIEST_DATE
from transforms.windows import local_date


@dataclass(frozen=True)
class IngestJob:
    """Everything the job needs. `key` is the HMAC key for author pseudonyms; `source_tz` is the
    zone of naive timestamps; `options.tz` the analysis zone that local days are counted in;
    texts longer than `max_text_chars` are dead letters;
    `mappings` gives the preset or user mapping (transforms.presets) of each input path whose
    field names are not the Post contract's, or whose posts have a default language; posts
    dated before `earliest` are dead letters (transforms.records.validate); `dp_budget`, when
    set, adds the differentially private daily cells (transforms.dp) to the landing files."""

    inputs: Sequence[str]
    landing_dir: str
    markers: Mapping[str, Marker]
    key: bytes
    run_id: str
    options: PostOptions
    source_tz: str = "UTC"
    max_text_chars: int = MAX_TEXT_CHARS
    chunk_records: int = CHUNK_RECORDS
    mappings: Mapping[str, InputMapping] = field(default_factory=dict)
    dp_budget: Budget | None = None
    earliest: date = EARLIEST_DATE

    @property
    def spill_dir(self) -> str:
        """Where the job spills its shuffled frames while it runs (ingest.spill): inside the
        landing location, which a remote runner's workers reach too."""
        return f"{self.landing_dir.rstrip('/')}/spill"


@dataclass(frozen=True)
class Live:
    """How the streaming job prepares posts: each chunk's options come from `clock` (seconds
    since the epoch), with today as `as_of` and days closed longer than `allowed_lateness`
    filtered as too late; marker decisions are made per chunk (transforms.model_markers)."""

    allowed_lateness: timedelta
    clock: Callable[[], float] = time.time

    def options(self, base: PostOptions) -> PostOptions:
        """`base` as of the clock's local day in `base.tz`."""
        today = local_date(self.clock(), tz=base.tz)
        return replace(base, as_of=today, earliest=lateness_horizon(today, self.allowed_lateness))
