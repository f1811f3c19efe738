"""Loading settings checks the alert methods against forecasting's registry without loading
scipy, numba or a forecasting library: `moodcast tag` and the other commands that only need
settings paid ~1.5 s importing them inside `load_settings`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("scipy", "numba", "statsforecast", "statsmodels")


def test_checking_every_alert_method_loads_no_scipy_numba_or_forecasting_library(tmp_path):
    ok, weekly = tmp_path / "ok", tmp_path / "weekly"
    methods = '["early", "trailing_p90", "paper_peaks", "mem", "cdc_baseline", "farrington"]'
    for folder, listed in ((ok, methods), (weekly, '["mem"]')):
        folder.mkdir()
        (folder / "config.toml").write_text(f"alert_methods = {listed}\n")
    script = (
        "import json, sys\n"
        "from moodcast.config import ConfigError, load_settings\n"
        f"methods = load_settings({str(ok)!r}).alert_methods\n"
        "try:\n"
        f"    load_settings({str(weekly)!r})\n"
        "    refused = ''\n"
        "except ConfigError as exc:\n"
        "    refused = str(exc)\n"
        f"print(json.dumps([methods, refused, [m for m in {HEAVY!r} if m in sys.modules]]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    methods, refused, loaded = json.loads(done.stdout.strip().splitlines()[-1])

    assert len(methods) == 6
    assert "run on weekly series only" in refused
    assert loaded == []
