"""CPU time of loading py3langid's model in a fresh process: by py3langid itself (the peer), and
by transforms.langid_model with its user cache warm (the file read) and cold (a fresh
XDG_CACHE_HOME each time: the model decompressed, then written to the cache), as every process
of a run whose cache does not outlive it loads it.

    .venv/bin/python benchmarks/langid_cache.py [--repeats 5]

Each case runs `--repeats` times, interleaved, in a fresh interpreter, timing the load alone
(time.process_time around it, after the imports). Results go to benchmarks/RESULTS.md
(`langid-cache`).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.results import table_head, table_row, write_section  # noqa: E402

PRELUDE = "import time\nfrom py3langid.langid import MODEL_FILE, LanguageIdentifier\n"
PRELUDE += "from transforms.langid_model import load_identifier\n"
CASES = {
    "py3langid's own load (LZMA)": "LanguageIdentifier.from_model_file(MODEL_FILE)",
    "langid_model, cache warm": "load_identifier()",
    "langid_model, cache cold (rebuilt and written)": "load_identifier()",
}


def load_seconds(call: str, cache: Path) -> float:
    """CPU seconds of `call` in a fresh process whose XDG_CACHE_HOME is `cache`."""
    script = f"{PRELUDE}start = time.process_time()\n{call}\nprint(time.process_time() - start)"
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    return float(done.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    times: dict[str, list[float]] = {case: [] for case in CASES}
    with tempfile.TemporaryDirectory() as tmp:
        warm = Path(tmp) / "warm"
        load_seconds("load_identifier()", warm)
        for n in range(args.repeats):
            for case, call in CASES.items():
                cache = Path(tmp) / f"cold-{n}" if "cold" in case else warm
                times[case].append(load_seconds(call, cache))
    peer = statistics.median(times[next(iter(CASES))])
    rows = [
        table_row([case, f"{statistics.median(t):.2f}", f"{statistics.median(t) / peer:.2f}×"])
        for case, t in times.items()
    ]
    load = os.getloadavg()[0]
    body = "\n".join(
        [
            f"`.venv/bin/python benchmarks/langid_cache.py --repeats {args.repeats}`, Python "
            f"{platform.python_version()}, load average (1 min) {load:.1f}. CPU seconds of "
            "loading py3langid's model in a fresh process (the load alone), medians of "
            f"{args.repeats} interleaved runs a case.",
            "",
            *table_head(["load"], ["CPU s", "of py3langid's"]),
            *rows,
        ]
    )
    write_section("langid-cache", body)
    print(body)


if __name__ == "__main__":
    main()
