"""The one builder of the ingest job from settings, which `moodcast run` and `moodcast stream`
share: what differs between them is an argument, never a second copy of the settings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from ingest.job import IngestJob
from moodcast.config import Settings
from transforms.markers import Marker
from transforms.posts import PostOptions, lateness_horizon
from transforms.presets import InputMapping, with_default_lang


def input_mapping(settings: Settings) -> InputMapping | None:
    """How the inputs of `settings` are read: their preset or mapping carrying their default
    language (`--lang`, `default_lang`: transforms.presets.with_default_lang), so the ledger
    keeps it with each input; None where records are read under the Post field names and no
    default language is set."""
    return with_default_lang(settings.record_mapping, settings.default_lang)


def ingest_job(
    settings: Settings,
    markers: Mapping[str, Marker],
    *,
    key: bytes,
    run_id: str,
    landing: str,
    sources: Sequence[str],
    inputs: Sequence[str] = (),
    as_of: date | None = None,
    allowed_lateness: timedelta | None = None,
) -> IngestJob:
    """The ingest job of run `run_id` with the options of `settings` (analysis and source time
    zones, reposts, models, published regions, text length, plausible-date window, DP budget),
    over `markers`; authors keyed with `key`, landing files under `landing`.

    Posts of each of `sources` (an input's path, or a stream's source name) are read through
    `input_mapping(settings)`. A run reads `inputs` (patterns of its files) `as_of` its date,
    and with `allowed_lateness` filters posts on days closed longer than that as too late
    (transforms.posts.lateness_horizon); a stream gives none of the three: its chunks take
    today and the horizon from its clock (ingest.job.Live)."""
    mapping = input_mapping(settings)
    return IngestJob(
        inputs=list(inputs),
        landing_dir=landing,
        markers=markers,
        key=key,
        run_id=run_id,
        options=PostOptions(
            tz=settings.tz,
            as_of=as_of,
            include_reposts=settings.include_reposts,
            models=settings.model_config,
            earliest=lateness_horizon(as_of, allowed_lateness)
            if as_of and allowed_lateness
            else None,
            regions=settings.region_rule,
        ),
        source_tz=settings.source_tz,
        max_text_chars=settings.max_text_chars,
        mappings={} if mapping is None else dict.fromkeys(sources, mapping),
        dp_budget=settings.dp_budget,
        earliest=settings.earliest_date,
    )
