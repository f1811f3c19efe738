"""The Beam streaming job: posts as messages → panes of daily aggregates per local day.

    messages → parse (bad records → dead letters) → PrepareChunkFn, live (the batch job's DoFn:
             validate, filter incl. too late, pseudonymise, tag, decide) → one element per post
             at its local day → drop repeated ids (state per id, expired by a timer after the
             lateness horizon) → local-day windows (23/24/25 h), early panes every
             `early_every`, on-time and late panes, accumulating → aggregate each pane
             → <landing>/panes/<day>/<index>-<timing>.parquet
    counts and dead letters → <landing>/counts|dead/<bundle>.parquet, one file per bundle

Files are written under a temporary name and renamed, so a reader never sees half of one. Raw
text and author ids never leave the job, as in batch.
"""

from __future__ import annotations

import io
import logging
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

import apache_beam as beam
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.coders import BooleanCoder, coders
from apache_beam.io.filesystems import FileSystems
from apache_beam.io.gcp.pubsub import parse_subscription
from apache_beam.transforms import trigger, window
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec, TimerSpec, on_timer
from apache_beam.utils.timestamp import Duration, Timestamp
from apache_beam.utils.windowed_value import PaneInfoTiming

from ingest.chunks import PrepareChunkFn
from ingest.job import IngestJob, Live
from ingest.landing import COUNTS, COUNTS_SCHEMA, DEAD
from ingest.worker_errors import ours_ungrouped
from transforms.aggregate import daily_aggregates
from transforms.contracts import DEAD_LETTER_SCHEMA
from transforms.model_markers import sample_rates
from transforms.presets import InputMapping, record_reading
from transforms.records import parse_json_lines
from transforms.windows import day_bounds, local_date

log = logging.getLogger(__name__)
PANE_NAME = re.compile(r"(\d+)-(early|on_time|late|unknown)-(\d+)-(\d+)\.parquet")

MESSAGES_PER_CHUNK = 500
LATENESS_MARGIN = timedelta(hours=2)
"""Added to the windows' allowed lateness so that Beam never drops a post that the too-late
filter (whole local days, transforms.posts.lateness_horizon) has kept, DST days included."""


@dataclass(frozen=True)
class StreamJob:
    """The streaming job: `ingest` as in batch (its `inputs` unused, its `options.as_of` and
    `earliest` replaced per chunk from `clock`, its messages read with `ingest.mappings`'
    mapping of `source`); panes fire early every `early_every`, and
    days stay open to late posts for `allowed_lateness` after they end (whole days)."""

    ingest: IngestJob
    source: str
    early_every: timedelta = timedelta(seconds=60)
    allowed_lateness: timedelta = timedelta(days=2)
    clock: Callable[[], float] = time.time

    @property
    def live(self) -> Live:
        return Live(allowed_lateness=self.allowed_lateness, clock=self.clock)

    @property
    def mapping(self) -> InputMapping | None:
        """How the messages of `source` are parsed: its mapping in `ingest.mappings`, as a
        run's file is (transforms.presets.record_reading)."""
        return record_reading(self.ingest.mappings.get(self.source))


class LocalDayWindows(window.NonMergingWindowFn):
    """Event-time windows of one local calendar day in `tz`: 23, 24 or 25 hours long."""

    def __init__(self, tz: str):
        self._tz = tz

    def assign(self, context) -> list[window.IntervalWindow]:
        day = local_date(float(context.timestamp), tz=self._tz)
        start, end = day_bounds(day, tz=self._tz)
        return [window.IntervalWindow(Timestamp(start), Timestamp(end))]

    def get_window_coder(self):
        return coders.IntervalWindowCoder()

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self._tz == other._tz

    def __hash__(self) -> int:
        return hash((type(self), self._tz))


SUBSCRIPTION_ADVICE = (
    "Write projects/PROJECT/subscriptions/NAME, PROJECT beginning with a lower-case letter, "
    "then at least four lower-case letters, digits, '-', ':' or '.', then a lower-case letter "
    "or digit (Beam checks only that beginning); the Pub/Sub emulator takes any such project "
    "(projects/local-dev/subscriptions/posts)."
)
"""What check_subscription's error asks for: exactly what Beam's `parse_subscription` takes
(its PROJECT_ID_REGEXP, matched at the start of the project and not anchored at its end), not
Google's rule for project ids (6 to 63 characters, a letter or digit last), which Beam does not
enforce."""


def check_subscription(path: str) -> str:
    """`path` when Beam's Pub/Sub source takes it as a subscription (its own parser, which
    refuses a project id such as `local` only once the job is being built), else ValueError
    with Beam's reason and SUBSCRIPTION_ADVICE: it accepts exactly what Beam accepts."""
    try:
        parse_subscription(path)
    except ValueError as exc:
        raise ValueError(f"{exc} {SUBSCRIPTION_ADVICE}") from exc
    return path


@ours_ungrouped
def parse_messages(messages: list[bytes], *, source: str, mapping: InputMapping | None):
    """A batch of messages (one JSON record each) → a ParsedChunk; lines count within it."""
    from ingest.sources import ParsedChunk

    return ParsedChunk(*parse_json_lines(messages, source=source, first_line=1, mapping=mapping))


class PostRow(NamedTuple):
    """One prepared, decided post: what a pane aggregates (no text, author pseudonymised)."""

    id: str
    day: date
    region: str
    lang: str
    author: str | None
    decisions: tuple[bool | None, ...]


@ours_ungrouped
def post_elements(posts: pl.DataFrame, *, markers: tuple[str, ...], tz: str) -> Iterator:
    """Decided posts → `(id, PostRow)` stamped at the start of the post's local day: the event
    time that places it in its day's window."""
    columns = posts.select("id", "day", "region", "lang", "author", *markers)
    for row in columns.iter_rows():
        post = PostRow(*row[:5], decisions=tuple(row[5:]))
        start, _ = day_bounds(post.day, tz=tz)
        yield window.TimestampedValue((post.id, post), start)


SEEN = ReadModifyWriteStateSpec("seen", BooleanCoder())
EXPIRY = TimerSpec("expiry", TimeDomain.WATERMARK)
_SEEN_STATE = beam.DoFn.StateParam(SEEN)
_EXPIRY_TIMER = beam.DoFn.TimerParam(EXPIRY)


@ours_ungrouped
class DropRepeatedIdsFn(beam.DoFn):
    """Keeps the first post of each id; the id is remembered until `horizon` after the post's
    day started (its day's end plus the allowed lateness), when an event-time timer forgets it,
    so state stays bounded. Counts valid posts and duplicates."""

    def __init__(self, horizon: timedelta):
        self._horizon_s = horizon.total_seconds()

    def process(
        self,
        item: tuple[str, PostRow],
        timestamp=beam.DoFn.TimestampParam,
        seen=_SEEN_STATE,
        expiry=_EXPIRY_TIMER,
    ) -> Iterator:
        if seen.read():
            yield beam.pvalue.TaggedOutput(COUNTS, (("duplicate", "repeated id"), 1))
            return
        seen.write(True)
        expiry.set(timestamp + Duration(seconds=self._horizon_s))
        yield beam.pvalue.TaggedOutput(COUNTS, (("valid", ""), 1))
        yield item[1]

    @on_timer(EXPIRY)
    def forget(self, seen=_SEEN_STATE):
        seen.clear()


class Pane(NamedTuple):
    """One firing of one local day: its aggregates, when and how it fired, and how many
    posts it aggregated (all of the day's so far: panes accumulate)."""

    day: date
    index: int
    timing: str
    fired_at: datetime
    table: pa.Table
    posts: int


def pane_timing(timing: int) -> str:
    """`early`, `on_time`, `late` or `unknown`."""
    return {
        PaneInfoTiming.EARLY: "early",
        PaneInfoTiming.ON_TIME: "on_time",
        PaneInfoTiming.LATE: "late",
    }.get(timing, "unknown")


@ours_ungrouped
class AggregatePaneFn(beam.DoFn):
    """All posts of a local day so far (an accumulating pane) → that day's aggregates."""

    def __init__(self, job: StreamJob):
        self._job = job

    def process(self, item: tuple[str, list[PostRow]], pane=beam.DoFn.PaneInfoParam) -> Iterator:
        day, rows = item
        ingest = self._job.ingest
        names = list(ingest.markers)
        posts = pl.DataFrame(
            [(*r[:5], *r.decisions) for r in rows],
            schema={
                "id": pl.String,
                "day": pl.Date,
                "region": pl.String,
                "lang": pl.String,
                "author": pl.String,
                **dict.fromkeys(names, pl.Boolean),
            },
            orient="row",
        )
        table = daily_aggregates(
            posts,
            ingest.markers,
            run_id=ingest.run_id,
            rates=sample_rates(ingest.markers, ingest.options.models, None),
        ).to_arrow()
        fired = datetime.fromtimestamp(self._job.clock(), UTC)
        timing = pane_timing(pane.timing)
        yield Pane(date.fromisoformat(day), pane.index, timing, fired, table, len(rows))


def _write_parquet(table: pa.Table, path: str) -> None:
    """Write `table` to `path` whole: under a temporary name first, then renamed."""
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    temporary = f"{path}.{uuid.uuid4().hex}.tmp"
    with FileSystems.create(temporary) as handle:
        handle.write(buffer.getvalue())
    FileSystems.rename([temporary], [path])


def pane_path(landing_dir: str, pane: Pane) -> str:
    """`<landing>/panes/<day>/<index:06d>-<timing>-<fired_at µs>-<posts>.parquet`."""
    fired = int(pane.fired_at.timestamp() * 1_000_000)
    name = f"{pane.index:06d}-{pane.timing}-{fired}-{pane.posts}.parquet"
    return f"{landing_dir}/panes/{pane.day.isoformat()}/{name}"


@ours_ungrouped
class WritePaneFn(beam.DoFn):
    """Each pane → its own Parquet file of daily aggregates."""

    def __init__(self, landing_dir: str):
        self._landing = landing_dir.rstrip("/")

    def process(self, pane: Pane) -> Iterator[str]:
        path = pane_path(self._landing, pane)
        _ensure_dir(path.rsplit("/", 1)[0])
        _write_parquet(pane.table, path)
        yield path


@ours_ungrouped
class WriteBundleCountsFn(beam.DoFn):
    """((category, reason), n) → one counts file per bundle, `<landing>/counts/<uuid>.parquet`."""

    def __init__(self, landing_dir: str):
        self._landing = landing_dir.rstrip("/")

    def start_bundle(self):
        self._counts: Counter = Counter()

    def process(self, item: tuple[tuple[str, str], int]) -> None:
        self._counts[item[0]] += item[1]

    def finish_bundle(self):
        if self._counts:
            rows = sorted(self._counts.items())
            table = pa.table(
                [[c for (c, _), _ in rows], [r for (_, r), _ in rows], [n for _, n in rows]],
                schema=COUNTS_SCHEMA,
            )
            _write_parquet(table, _bundle_path(self._landing, "counts"))


@ours_ungrouped
class WriteBundleDeadLettersFn(beam.DoFn):
    """Dead-letter tables → one file per bundle, `<landing>/dead/<uuid>.parquet`."""

    def __init__(self, landing_dir: str):
        self._landing = landing_dir.rstrip("/")

    def start_bundle(self):
        self._tables: list[pa.Table] = []

    def process(self, table: pa.Table) -> None:
        self._tables.append(table)

    def finish_bundle(self):
        if self._tables:
            frame = pl.concat([pl.from_arrow(t) for t in self._tables])
            table = frame.select(list(DEAD_LETTER_SCHEMA)).to_arrow()
            _write_parquet(table, _bundle_path(self._landing, "dead"))


def _ensure_dir(folder: str) -> None:
    if not FileSystems.exists(folder):
        try:
            FileSystems.mkdirs(folder)
        except OSError:
            if not FileSystems.exists(folder):
                raise


def _bundle_path(landing_dir: str, kind: str) -> str:
    folder = f"{landing_dir}/{kind}"
    _ensure_dir(folder)
    return f"{folder}/{uuid.uuid4().hex}.parquet"


def build_stream(messages, job: StreamJob, landing_dir: str) -> None:
    """Add the streaming job's transforms to `messages` (a PCollection of message bytes)."""
    ingest = job.ingest
    tz = ingest.options.tz
    prepared = (
        messages
        | "BatchMessages" >> beam.BatchElements(min_batch_size=1, max_batch_size=MESSAGES_PER_CHUNK)
        | "ParseMessages" >> beam.Map(parse_messages, source=job.source, mapping=job.mapping)
        | "PrepareChunks"
        >> beam.ParDo(PrepareChunkFn(ingest, job.live)).with_outputs(COUNTS, DEAD, main="posts")
    )
    lateness = job.allowed_lateness + LATENESS_MARGIN
    deduped = (
        prepared.posts
        | "PostsAtTheirDay" >> beam.FlatMap(post_elements, markers=tuple(ingest.markers), tz=tz)
        | "DropRepeatedIds"
        >> beam.ParDo(DropRepeatedIdsFn(timedelta(days=1) + lateness)).with_outputs(
            COUNTS, main="posts"
        )
    )
    (
        deduped.posts
        | "LocalDays"
        >> beam.WindowInto(
            LocalDayWindows(tz),
            trigger=trigger.AfterWatermark(
                early=trigger.AfterProcessingTime(int(job.early_every.total_seconds())),
                late=trigger.AfterCount(1),
            ),
            accumulation_mode=trigger.AccumulationMode.ACCUMULATING,
            allowed_lateness=Duration(seconds=lateness.total_seconds()),
        )
        | "KeyByDay" >> beam.Map(lambda post: (post.day.isoformat(), post))
        | "GroupByDay" >> beam.GroupByKey()
        | "AggregatePanes" >> beam.ParDo(AggregatePaneFn(job))
        | "WritePanes" >> beam.ParDo(WritePaneFn(landing_dir))
    )
    (
        (prepared[COUNTS], deduped[COUNTS])
        | "AllCounts" >> beam.Flatten()
        | "WriteCounts" >> beam.ParDo(WriteBundleCountsFn(landing_dir))
    )
    prepared[DEAD] | "WriteDeadLetters" >> beam.ParDo(WriteBundleDeadLettersFn(landing_dir))


class PaneFile(NamedTuple):
    """A pane file found in the landing directory, and which pane it holds."""

    path: str
    day: date
    index: int
    timing: str
    fired_at: datetime
    posts: int


def pane_files(landing_dir: str) -> list[PaneFile]:
    """The pane files under `landing_dir` (any filesystem Beam supports), sorted by path; a
    `.parquet` file there not named as `write_pane` names them is left alone, with a warning."""
    found = []
    for path in _matched(f"{landing_dir.rstrip('/')}/panes/*/*.parquet"):
        folder, name = path.rsplit("/", 2)[-2:]
        parts = PANE_NAME.fullmatch(name)
        try:
            day = date.fromisoformat(folder)
        except ValueError:
            parts = None
        if parts is None:
            log.warning(
                "%s is not a pane file (DAY/INDEX-TIMING-FIRED-POSTS.parquet): skipped", path
            )
            continue
        index, timing, fired, posts = parts.groups()
        fired_at = datetime.fromtimestamp(int(fired) / 1_000_000, UTC)
        found.append(PaneFile(path, day, int(index), timing, fired_at, int(posts)))
    return found


def bundle_files(landing_dir: str, kind: str) -> list[str]:
    """The `counts` or `dead` bundle files under `landing_dir`, sorted."""
    return _matched(f"{landing_dir.rstrip('/')}/{kind}/*.parquet")


def _matched(pattern: str) -> list[str]:
    (result,) = FileSystems.match([pattern])
    return sorted(meta.path for meta in result.metadata_list)


def read_landing_file(path: str) -> pl.DataFrame:
    """One landing Parquet file as a frame (any filesystem Beam supports)."""
    with FileSystems.open(path) as handle:
        return pl.read_parquet(io.BytesIO(handle.read()))


def delete_landing_files(paths: list[str]) -> None:
    """Delete loaded landing files."""
    if paths:
        FileSystems.delete(paths)


def set_aside_landing_files(landing_dir: str, paths: list[str], folder: str) -> str:
    """Move `paths` (files under `landing_dir`) to `<landing_dir>/<folder>/`, each under its
    own path below `landing_dir`; return that folder."""
    root = landing_dir.rstrip("/")
    aside = f"{root}/{folder}"
    targets = [f"{aside}/{path.removeprefix(root).lstrip('/')}" for path in paths]
    _ensure_dir(aside)
    for target in targets:
        _ensure_dir(target.rsplit("/", 1)[0])
    if paths:
        FileSystems.rename(paths, targets)
    return aside
