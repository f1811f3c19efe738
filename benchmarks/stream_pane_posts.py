"""What counting the posts of a stream run's loaded panes costs each stream load as a long
session accumulates files, against reading every `stream_files` row of the run (the peer: how
moodcast.stream_landing.loaded_pane_posts read them before it filtered on the panes' prefix).

    python -m benchmarks.stream_pane_posts [--repeats 7]

For each size, a fresh warehouse whose `stream_files` holds one run's counts files and pane
files (names as a stream load notes them; the panes spread over days, 100 a day), written and
read inside one `warehouse.writing` connection, as a load reads them: CPU seconds (process
time) of `loaded_pane_posts` and of the peer, median of `--repeats`, and a check that both
give the same posts per day. Writes the `stream-pane-posts` section of benchmarks/RESULTS.md.
Reads no data; file names only.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date

import warehouse
from benchmarks.results import table_head, table_row, write_section
from moodcast.stream_landing import loaded_pane_posts, pane_posts
from warehouse import queries

RUN = "stream-bench"
SIZES = ((1_000, 100), (10_000, 1_000), (100_000, 1_000), (100_000, 10_000))
"""(counts files, pane files) of the run in each warehouse."""
PANES_A_DAY = 100


def pane_posts_of_every_row(con, run_id: str) -> dict[date, int]:
    """The peer: loaded_pane_posts as it read before, every `stream_files` row of the run
    scanned by the panes' pattern."""
    return pane_posts(queries.stream_files(con, run_id), run_id)


def fill(con, counts: int, panes: int) -> None:
    """`counts` counts files and `panes` pane files of RUN in `stream_files`."""
    con.execute(
        "INSERT INTO stream_files SELECT 'counts-' || i || '.parquet', ?, now() FROM range(?) t(i)",
        [RUN, counts],
    )
    con.execute(
        "INSERT INTO stream_files SELECT ? || '/panes/' || strftime(DATE '2025-01-01' + "
        "CAST(i // ? AS INTEGER), '%Y-%m-%d') || '/' || (i % ?) || '-early-1740830400-' "
        "|| (i % ? * 3) || '.parquet', ?, now() FROM range(?) t(i)",
        [RUN, PANES_A_DAY, PANES_A_DAY, PANES_A_DAY, RUN, panes],
    )


def cpu_seconds(count, con, repeats: int) -> tuple[float, dict]:
    """Median CPU seconds of `count(con, RUN)` over `repeats`, and what it gave."""
    times, got = [], {}
    for _ in range(repeats):
        start = time.process_time()
        got = count(con, RUN)
        times.append(time.process_time() - start)
    return statistics.median(times), got


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    rows = []
    for counts, panes in SIZES:
        with tempfile.TemporaryDirectory() as tmp, warehouse.writing(tmp) as con:
            fill(con, counts, panes)
            ours, got = cpu_seconds(loaded_pane_posts, con, args.repeats)
            peer, expected = cpu_seconds(pane_posts_of_every_row, con, args.repeats)
        assert got == expected and len(got) == -(-panes // PANES_A_DAY), (counts, panes)
        rows.append(
            table_row(
                [f"{counts:,}", f"{panes:,}", f"{peer * 1000:.1f}", f"{ours * 1000:.1f}"]
                + [f"{peer / ours:.1f}×"]
            )
        )
        print(rows[-1], flush=True)
    head = table_head(
        ["counts files", "pane files"], ["every row (peer) ms", "panes' prefix ms", "ratio"]
    )
    write_section(
        "stream-pane-posts",
        "\n".join(
            [
                f"`python -m benchmarks.stream_pane_posts --repeats {args.repeats}`, "
                f"{date.today()}: CPU milliseconds (process time) of counting the posts of a "
                "stream run's loaded panes per day, in the load's writing connection, median of "
                f"{args.repeats}; {PANES_A_DAY} panes a day. Peer: every `stream_files` row of "
                "the run read and scanned by the panes' pattern (before); ours: only the rows "
                "under `<run id>/panes/`, filtered in SQL (moodcast.stream_landing."
                "loaded_pane_posts).",
                "",
                *head,
                *rows,
            ]
        ),
    )


if __name__ == "__main__":
    main()
