"""What a stream session, or the recovery of one, did: its summary (`StreamSummary`: the human
line, `--json`), and the warning that names the posts of its panes kept out of days another
run holds and how to publish them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from moodcast.stream_landing import Ending, Session
from warehouse import Kept


@dataclass(frozen=True)
class StreamSummary:
    """What a stream session did: its run id, loads published, days upserted, its counts
    (`read`, `valid`, `dead_lettered`, `duplicates`, `filtered` by reason), how its run
    ended, as its last load recorded it (`ending`: status `ok`, `incomplete` or, recovered,
    `killed` or `failed`; its `unpublished` posts, read and in no day for a reason other than
    being kept out, and whether that count is a floor), and the posts of its panes of days
    another run holds, by day, with the run that holds each (`kept_out`: day ->
    warehouse.Kept; not in `unpublished`: not a failure)."""

    run_id: str
    loads: int
    days: int
    counts: dict
    ending: Ending
    kept_out: dict[date, Kept] = field(default_factory=dict)

    @classmethod
    def of(cls, session: Session, ending: Ending, *, days: int | None = None) -> StreamSummary:
        """`session`'s summary, ended `ending`, with `days` upserted (by default the
        session's)."""
        return cls(
            run_id=session.run_id,
            loads=session.loads,
            days=session.days if days is None else days,
            counts=session.counts,
            ending=ending,
            kept_out=dict(session.kept_out),
        )

    @property
    def status(self) -> str:
        return self.ending.status

    @property
    def unpublished(self) -> int:
        return self.ending.unpublished

    def as_json(self) -> dict:
        """What `moodcast stream --json` prints: `run_id`, `status`, `unpublished` (posts read
        and in no day for a reason other than being kept out: a failure of the stream), `unpublished_is_floor` (true
        where the job had not processed every message it pulled, or its panes hold more posts
        than it counted, so that more posts than `unpublished` may be in no day, how many not
        known: Ending.floor), `kept_out` (one object per day another run holds, which its panes
        did not replace: `day`, `posts`, `held_by`; not in `unpublished`, not a failure) and
        the counts."""
        return {
            "run_id": self.run_id,
            "status": self.status,
            "unpublished": self.unpublished,
            "unpublished_is_floor": self.ending.floor,
            "kept_out": [
                {"day": day.isoformat(), "posts": posts, "held_by": held_by}
                for day, (posts, held_by) in sorted(self.kept_out.items())
            ],
            **self.counts,
        }

    def kept_out_said(self) -> str:
        """The days another run holds, which its panes did not replace, each with its posts and
        holder (empty where none)."""
        return ", ".join(
            f"{day} ({posts:,} post(s); held by {held_by})"
            for day, (posts, held_by) in sorted(self.kept_out.items())
        )

    def kept_out_warning(self) -> str:
        """The warning a session (or its recovery) with posts kept out logs: how many, which
        days, that it is not a failure, and how to publish them (empty where none)."""
        if not self.kept_out:
            return ""
        posts = sum(kept.posts for kept in self.kept_out.values())
        return (
            f"stream {self.run_id}: {posts:,} post(s) it read are kept "
            f"out of days another run holds, and counted in no day: {self.kept_out_said()}. "
            "Not a failure of the stream: a day a file run loaded is final, and a day a "
            "later-started stream loaded is that stream's (docs/streaming.md, who holds a day). "
            "Where a file run holds the day and its inputs do not hold these posts already, "
            "put them, from their source, in a file and `moodcast run` it (or drop it in the "
            "spool directory of `moodcast run --follow`): a file run recomputes each day its "
            "inputs cover from every input the ledger holds for that day. Where a stream holds "
            "the day, publish them to its subscription again while it runs, within its "
            "--allowed-lateness."
        )

    def describe(self) -> str:
        """A short human summary for stderr."""
        c = self.counts
        filtered = ", ".join(f"{n:,} {r}" for r, n in sorted(c["filtered"].items())) or "none"
        kept = self.kept_out_said()
        return (
            f"stream {self.run_id}: read {c['read']:,} posts; {c['valid']:,} valid; "
            f"{c['dead_lettered']:,} dead-lettered; {c['duplicates']:,} duplicates; "
            f"filtered: {filtered}. {self.loads} loads published, {self.days} day upserts."
            + (
                f" Kept out of days another run holds (in no day, not a failure): {kept}."
                if kept
                else ""
            )
        )
