"""The README's first command after the install, `moodcast demo`, as a user runs it, timed until
the dashboard answers over HTTP, against the same command at an earlier commit in the same run.

    .venv/bin/python benchmarks/first_hour.py --before REF [--posts 50000] [--repeats 1]

Each side runs the CLI in a fresh process (`python -c 'from moodcast.cli import cli; cli()'
demo ...`, the tree first on the path, as benchmarks/startup.py runs it) with a fresh sample
directory, data directory and numba cache folder (`NUMBA_CACHE_DIR`: a fresh clone compiles its
kernels on its first run, unless its install ran infra/precompile.sh, which runs first where the
tree has it, timed apart) and a free port. It is timed from its start to the line that names
the dashboard (`run done`: sample, Beam job, load, forecasts, alerts, exports) and to the first
answer of the dashboard's health endpoint (`served`); then it is stopped as Ctrl-C stops it
(SIGINT to its process group). CPU seconds (user + system) and peak memory (the largest
process's resident set) are those of the whole process tree, read by `os.wait4`. The other
side is `--before REF` (a commit of this repository, extracted with `git archive`). The sides
alternate, `--repeats` times each. `--posts` defaults to 50,000 so that both sides finish in a
few minutes on a shared 2-core machine; `--posts 200000` is the README's command exactly.
Results go to benchmarks/RESULTS.md (`first-hour`).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.results import write_section  # noqa: E402
from benchmarks.servers import free_port  # noqa: E402
from benchmarks.startup import extract  # noqa: E402

RUN_DONE = b"dashboard on http://"
"""What the demo prints once its run and exports are done, just before it serves."""
TIMEOUT_S = 1200


@dataclass(frozen=True)
class Timed:
    """One demo: wall seconds to `run done` and to `served`, CPU seconds, peak RSS in MB, whether
    it compiled kernels, and the CPU seconds of the install's precompile before it (0 where
    the tree has none)."""

    run_done_s: float
    served_s: float
    cpu_s: float
    peak_mb: float
    compiled: bool = False
    precompile_cpu_s: float = 0.0


def precompile(tree: Path, folder: Path) -> float:
    """Run `tree`'s infra/precompile.sh (the install's last step) into `folder`'s numba cache, as
    demo sets it; its CPU seconds (user + system, children included), 0 where it has none."""
    script = tree / "infra" / "precompile.sh"
    if not script.exists():
        return 0.0
    env = {**os.environ, "PYTHONPATH": str(tree), "NUMBA_CACHE_DIR": str(folder / "numba")}
    env["PYTHON"] = sys.executable
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(["bash", str(script)], cwd=tree, env=env, check=True, timeout=TIMEOUT_S)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def demo(tree: Path, folder: Path, *, posts: int) -> Timed:
    """Run `moodcast demo` of `tree` in `folder` (fresh directories under it) until its
    dashboard answers, then stop it. Raises RuntimeError, with the end of its log, when it
    exits first or takes longer than TIMEOUT_S (once it has stopped, as `_reaped` waits)."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    command = [sys.executable, "-c", "from moodcast.cli import cli; cli()", "demo"]
    command += ["--data-dir", str(folder / "data"), "--sample-dir", str(folder / "sample")]
    command += ["--port", str(port), "--posts", str(posts)]
    env = {**os.environ, "PYTHONPATH": str(tree), "NUMBA_CACHE_DIR": str(folder / "numba")}
    kernels = _kernel_files(folder / "numba")
    log = folder / "demo.log"
    with log.open("wb") as out:
        start = time.monotonic()
        process = subprocess.Popen(
            command, cwd=tree, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    run_done = served = None
    try:
        while served is None:
            if process.poll() is not None:
                raise RuntimeError(f"the demo exited first:\n{log.read_text()[-3000:]}")
            if time.monotonic() - start > TIMEOUT_S:
                raise RuntimeError(f"no answer in {TIMEOUT_S} s:\n{log.read_text()[-3000:]}")
            if run_done is None and RUN_DONE in log.read_bytes():
                run_done = time.monotonic() - start
            if run_done is not None and _answers(port):
                served = time.monotonic() - start
            time.sleep(0.25)
    finally:
        if process.returncode is None:
            os.killpg(process.pid, signal.SIGINT)
            usage = _reaped(process)
    return Timed(
        run_done_s=run_done,
        served_s=served,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_mb=usage.ru_maxrss / 1024,
        compiled=_kernel_files(folder / "numba") != kernels,
    )


def _kernel_files(cache: Path) -> set[tuple[str, int]]:
    """The compiled kernels under a numba cache folder (`.nbc` files), each with its
    modification time: numba writes one for each kernel it compiles."""
    return {(str(p), p.stat().st_mtime_ns) for p in cache.rglob("*.nbc")}


def _answers(port: int) -> bool:
    """Whether the dashboard on `port` answers its health check."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _reaped(process: subprocess.Popen) -> resource.struct_rusage:
    """The resource usage of `process` and the children it waited for, once it has exited
    (killed with its process group after 60 s)."""
    deadline = time.monotonic() + 60
    while True:
        pid, _, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = 0
            return usage
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            deadline = float("inf")
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="a commit to compare with, e.g. b75fdad")
    parser.add_argument("--posts", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    load = os.getloadavg()
    results: dict[str, list[Timed]] = {"this tree": [], f"at {args.before}": []}
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"this tree": ROOT, f"at {args.before}": extract(args.before, Path(tmp))}
        for repeat in range(args.repeats):
            for name, tree in trees.items() if repeat % 2 == 0 else reversed(trees.items()):
                folder = Path(tmp) / f"{name.replace(' ', '-')}-{repeat}"
                folder.mkdir(parents=True)
                warmed = precompile(tree, folder)
                timed = demo(tree, folder, posts=args.posts)
                results[name].append(dataclasses.replace(timed, precompile_cpu_s=warmed))
                print(name, results[name][-1], file=sys.stderr)
    after = os.getloadavg()
    rows = []
    for name, runs in results.items():
        cells = [
            statistics.median(getattr(r, field) for r in runs)
            for field in ("run_done_s", "served_s", "cpu_s", "peak_mb", "precompile_cpu_s")
        ]
        compiled = "yes" if any(r.compiled for r in runs) else "no"
        rows.append(
            f"| {name} | {cells[4]:.1f} | {cells[0]:.1f} | {cells[1]:.1f} | {cells[2]:.1f} | "
            f"{cells[3]:,.0f} | {compiled} |"
        )
    ours, peer = (statistics.median(r.served_s for r in runs) for runs in results.values())
    ours_cpu, peer_cpu = (statistics.median(r.cpu_s for r in runs) for runs in results.values())
    body = "\n".join(
        [
            f"`.venv/bin/python benchmarks/first_hour.py --before {args.before} --posts "
            f"{args.posts} --repeats {args.repeats}` on {os.cpu_count()} cores, Python "
            f"{platform.python_version()}; load average (1 min) {load[0]:.1f} before, "
            f"{after[0]:.1f} after. `moodcast demo --posts {args.posts}` in a fresh process with "
            "fresh sample, data and numba cache directories, until the dashboard's health "
            f"endpoint answers, then stopped by SIGINT; medians of {args.repeats} run(s) a side, "
            "sides alternating. Where a tree has infra/precompile.sh (the install's last step), "
            "it runs first into the same fresh numba cache, its CPU seconds apart. Wall seconds "
            "depend on the neighbours; CPU seconds less.",
            "",
            "| side | install's precompile, CPU s | wall s to `run done` | wall s to served | "
            "CPU s (process tree) | peak RSS MB (largest process) | demo compiled kernels |",
            "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
            *rows,
            "",
            f"Served after {ours:.0f} s ({ours_cpu:.0f} CPU s) against {peer:.0f} s "
            f"({peer_cpu:.0f} CPU s) at {args.before}: {ours / peer:.2f}× the wall time.",
        ]
    )
    write_section("first-hour", body)
    print(body)


if __name__ == "__main__":
    main()
