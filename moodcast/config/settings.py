"""The settings of a moodcast installation (`Settings`) and where its data directory is."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from transforms.contracts import MAX_TEXT_CHARS
from transforms.dp import Budget
from transforms.embedding import DEFAULT_BACKEND, DEFAULT_MODEL
from transforms.presets import InputMapping
from transforms.privacy import DEFAULT_K, DEFAULT_REGION_PATTERN, RegionRule
from transforms.records import EARLIEST_DATE

if TYPE_CHECKING:
    from transforms.model_markers import ModelConfig

DEFAULT_DATA_DIR = "moodcast-data"
DATA_DIR_HELP = "Directory holding all state. Default: $MOODCAST_HOME, else ./moodcast-data."
"""The help of every command's `--data-dir` option."""


@dataclass(frozen=True)
class Settings:
    """Everything a command needs to know, with safe defaults.

    `tz` is the analysis time zone (local days are counted in it); `source_tz` the zone naive
    timestamps are read in; `k` the smallest publishable count; `week_grain` the week
    (`iso_week` or CDC `epi_week`) published where days are too small (transforms.grains);
    `privacy` the publishing mode: `suppress` (k, coarser cells, complementary suppression;
    the default: exact counts that analysts can check, and no budget to manage) or `dp`
    (transforms.dp, with budget `dp_epsilon`, `dp_delta` per author per local day);
    `history_days` bounds what forecasting models see; `horizon_days` is how far forecasts
    look ahead.
    `alert_methods` are the alert methods a run writes (forecasting.methods.ALERT_METHODS;
    `early` only by default); a day counts for alerts when its cell has at least
    `min_posts_per_day` posts; a day whose total post count is `volume_change_factor` times
    (or 1/that of) its trailing 28-day median is a data event (forecasting.inputs).
    `models` maps a language to its sentence model (`"default"`, the shipped English
    all-MiniLM-L6-v2, or a local model directory, one relative to the data directory made absolute
    by load_settings); `model_backend` is one of transforms.embedding.BACKENDS; model sources score
    a deterministic `model_sample_rate` share of posts (transforms.model_markers); `zero_shot` is
    `shipped` (the shipped prototypes' centroids) or `adapted` (centroids fitted on the user's posts
    by `moodcast markers adapt`, moodcast.adapting). Inputs whose field names are not the Post
    contract's are read through `input_preset` (a transforms.presets name) or `input_mapping` (a
    TOML file of Post field = source path; relative to the data directory in config.toml), at most
    one of them; `record_mapping` is the resulting mapping, checked at load. Posts dated before
    `earliest_date` are dead letters (the plausible-date window; its end is the run's as-of date + 1
    day). A truncated or corrupt compressed input fails the run unless `keep_partial_inputs`, which
    keeps its readable part and records the loss. `k` below DEFAULT_K needs `allow_small_k`. A
    region becomes a published key only when it is in `regions` (when given) or matches
    `region_pattern` (transforms.privacy.RegionRule). Texts longer than `max_text_chars` characters
    are dead letters. `markers_dir` holds the user's markers (`user_markers_dir`). A post that
    states no language and is too short or unclear to identify takes `default_lang`
    (transforms.text.LanguageRule).
    """

    data_dir: Path
    tz: str = "UTC"
    source_tz: str = "UTC"
    k: int = DEFAULT_K
    week_grain: str = "iso_week"
    privacy: str = "suppress"
    dp_epsilon: float = 1.0
    dp_delta: float = 1e-6
    include_reposts: bool = False
    markers_dir: Path | None = None
    history_days: int = 365
    horizon_days: int = 14
    forecast_jobs: int = 2
    alert_methods: tuple[str, ...] = ("early",)
    min_posts_per_day: int = 20
    volume_change_factor: float = 2.0
    models: Mapping[str, str] = field(default_factory=lambda: {"en": DEFAULT_MODEL})
    model_backend: str = DEFAULT_BACKEND
    model_sample_rate: float = 1.0
    zero_shot: Literal["shipped", "adapted"] = "shipped"
    max_text_chars: int = MAX_TEXT_CHARS
    default_lang: str | None = None
    input_preset: str | None = None
    input_mapping: Path | None = None
    earliest_date: date = EARLIEST_DATE
    keep_partial_inputs: bool = False
    allow_small_k: bool = False
    regions: tuple[str, ...] = ()
    region_pattern: str = DEFAULT_REGION_PATTERN
    record_mapping: InputMapping | None = field(default=None, repr=False, compare=False)

    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "landing"

    @property
    def exports_dir(self) -> Path:
        return self.data_dir / "exports"

    @property
    def user_markers_dir(self) -> Path:
        """`markers_dir` (`~` expanded, as in `models`; a relative one from the data directory),
        else `<data dir>/markers`."""
        return self.data_dir / Path(self.markers_dir or "markers").expanduser()

    @property
    def dp_budget(self) -> Budget | None:
        """The DP budget per author per local day in DP mode; None in suppress mode."""
        if self.privacy != "dp":
            return None
        return Budget(epsilon=self.dp_epsilon, delta=self.dp_delta)

    @property
    def region_rule(self) -> RegionRule:
        return RegionRule(vocabulary=tuple(self.regions), pattern=self.region_pattern)

    @property
    def model_config(self) -> ModelConfig:
        from transforms.model_markers import ModelConfig

        return ModelConfig(
            models=dict(self.models),
            backend=self.model_backend,
            sample_rate=self.model_sample_rate,
        )


def resolve_data_dir(option: str | os.PathLike | None) -> Path:
    """`--data-dir`, else `$MOODCAST_HOME`, else `./moodcast-data`, made absolute."""
    chosen = option or os.environ.get("MOODCAST_HOME") or DEFAULT_DATA_DIR
    return Path(chosen).expanduser().resolve()
