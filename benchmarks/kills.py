"""Kill `moodcast run` at random points and check what it leaves: benchmarks/reliability.py
runs the full bar with it, tests/reliability/test_kills.py a few kills.

Each run is a real `moodcast run` process in its own session, so every process it starts can be
found afterwards (`/proc/*/stat` session id) however it was started.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

AS_OF = "2025-02-20"
ENV = {
    "MOODCAST_SECRET": "reliability-harness-secret-0123456789abcdef",
    "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
}


def moodcast(data_dir: Path, inputs: list[Path], *extra: str, **popen) -> subprocess.Popen:
    """Start `moodcast run` on `inputs` in a new session (`popen`: more Popen arguments)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-c", "from moodcast.cli import cli; cli()", "run",
               *map(str, inputs), "--data-dir", str(data_dir), "--as-of", AS_OF, *extra]  # fmt: skip
    return subprocess.Popen(
        command,
        env={**os.environ, **ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        **popen,
    )


def session_members(sid: int) -> list[int]:
    """Live (not zombie) processes of session `sid`."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[3]) == sid:
            members.append(int(entry.name))
    return members


def exports(data_dir: Path) -> dict[str, bytes]:
    """Every published export file by name (read through the directory, opened once)."""
    folder = data_dir / "exports"
    if not folder.exists():
        return {}
    real = Path(os.path.realpath(folder))
    return {p.name: p.read_bytes() for p in sorted(real.iterdir())}


def read_set(out: Path) -> dict[str, bytes]:
    """Every file of a published export set, read as warehouse.export_versions.publish says: the
    directory opened once, its files relative to it."""
    fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    try:
        files = {}
        for name in os.listdir(fd):
            file = os.open(name, os.O_RDONLY, dir_fd=fd)
            with os.fdopen(file, "rb") as handle:
                files[name] = handle.read()
        return files
    finally:
        os.close(fd)


def torn(files: dict[str, bytes]) -> bool:
    """True unless `files` are one export set: exactly the files its manifest lists, each with
    its SHA-256, and forecasts and alerts of one run."""
    manifest = json.loads(files["manifest.json"])["files"]
    if set(manifest) | {"manifest.json"} != set(files):
        return True
    if any(hashlib.sha256(files[n]).hexdigest() != h for n, h in manifest.items()):
        return True
    runs = {pl.read_csv(files[n])["run_id"][0] for n in ("forecasts.csv", "alerts.csv")}
    return len(runs) != 1


def ledger(data_dir: Path) -> list[tuple]:
    """(run_id, started_at, status) of every run in the published warehouse."""
    con = duckdb.connect(str(data_dir / "moodcast.duckdb"), read_only=True)
    try:
        return con.sql("SELECT run_id, started_at, status FROM runs ORDER BY 2").fetchall()
    finally:
        con.close()


def leftovers(data_dir: Path) -> list[str]:
    """What a finished run must not leave: landing files, a warehouse copy, a staging export, a
    stale lock holder."""
    found = [str(p) for p in (data_dir / "landing").glob("*")]
    found += [str(p) for p in data_dir.glob("*.next*")]
    found += [str(p) for p in (data_dir / ".exports.versions").glob(".tmp-*")]
    lock = data_dir / "moodcast.lock"
    if lock.exists() and lock.read_text().strip():
        found.append(f"{lock}: {lock.read_text().strip()}")
    return found


@dataclass
class KillReport:
    """What the harness saw: kills made, runs found noted in the lock when killed, and every
    problem (an empty list is a pass)."""

    kills: int = 0
    noted: int = 0
    recorded: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CleanRun:
    """One uninterrupted run: its exports, the seconds until it noted itself in the lock file
    (`start_s`) and the seconds from then to its end (`locked_s`)."""

    exports: dict[str, bytes]
    start_s: float
    locked_s: float


def clean_run(data_dir: Path, inputs: list[Path]) -> CleanRun:
    """One uninterrupted run of `inputs` in `data_dir`, timed."""
    proc = moodcast(data_dir, inputs)
    start_s = wait_for_note(data_dir, proc)
    begun = time.monotonic()
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err.decode()[-3000:]
    assert start_s is not None, "the run ended before it noted itself in the lock file"
    return CleanRun(exports(data_dir), start_s, time.monotonic() - begun)


def wait_for_note(data_dir: Path, proc: subprocess.Popen) -> float | None:
    """Seconds until the run notes itself in the lock file (RunLock.note: the holder's `run`
    is set; the holder alone, written when the lock is taken, is not it); None when it ends
    first."""
    started = time.monotonic()
    while _noted_run(data_dir) is None:
        if proc.poll() is not None:
            return None
        time.sleep(0.02)
    return time.monotonic() - started


def kill_and_rerun(
    data_dir: Path,
    inputs: list[Path],
    *,
    kills: int,
    seed: int,
    reference: CleanRun | None = None,
) -> KillReport:
    """A clean run (or `reference`: the clean run `data_dir` already holds), then `kills` runs
    each SIGKILLed at a random point and followed by a rerun, all in one data directory; each
    rerun's exports are compared with the clean run's. One kill in five lands in start-up
    (before the run has noted itself in the lock file), the others anywhere in the locked part
    of the run (ingest, load, forecast, publish), as long as the clean run's took; a run that
    ends before its kill is run again. A rerun ingests, loads, forecasts and publishes its
    inputs as the clean run did, so it takes about as long."""
    rng = random.Random(seed)
    report = KillReport()
    clean = reference or clean_run(data_dir, inputs)
    attempts = 0
    while report.kills < kills and attempts < kills * 3:
        attempts += 1
        proc = moodcast(data_dir, inputs)
        if rng.random() < 0.2:
            time.sleep(rng.uniform(0, clean.start_s))
        elif wait_for_note(data_dir, proc) is not None:
            time.sleep(rng.uniform(0, clean.locked_s))
        if proc.poll() is not None:
            proc.communicate()
            continue
        _kill(proc, data_dir, inputs, clean.exports, report)
    if report.kills < kills:
        report.problems.append(f"only {report.kills} of {kills} runs could be killed in time")
    return report


def _kill(proc, data_dir: Path, inputs: list[Path], reference: dict, report: KillReport) -> None:
    i = report.kills
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    report.kills += 1
    note = _noted_run(data_dir)
    deadline = time.monotonic() + 15
    while session_members(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if orphans := session_members(proc.pid):
        report.problems.append(f"kill {i}: processes left behind: {orphans}")
        for pid in orphans:
            os.kill(pid, signal.SIGKILL)
    rerun = moodcast(data_dir, inputs)
    _, err = rerun.communicate(timeout=600)
    if rerun.returncode != 0:
        report.problems.append(f"kill {i}: rerun failed: {err.decode()[-2000:]}")
        return
    if exports(data_dir) != reference:
        report.problems.append(f"kill {i}: exports differ from the clean run's")
    if left := leftovers(data_dir):
        report.problems.append(f"kill {i}: left behind {left}")
    if note is not None:
        report.noted += 1
        rows = {(r, s): status for r, s, status in ledger(data_dir)}
        status = rows.get((note["run_id"], datetime.fromisoformat(note["started_at"])))
        if status in ("killed", "failed", "ok"):
            report.recorded += 1
        else:
            report.problems.append(f"kill {i}: run {note} has no ledger row ({status})")


def _noted_run(data_dir: Path) -> dict | None:
    try:
        holder = json.loads((data_dir / "moodcast.lock").read_text())
    except (OSError, ValueError):
        return None
    return holder.get("run") if isinstance(holder, dict) else None
