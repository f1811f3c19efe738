"""Start-up: the CLI and the commands that do not forecast load no forecasting or model library."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("statsforecast", "statsmodels", "torch", "numba", "onnxruntime", "sentence_transformers")
FORECASTING = ("statsforecast", "statsmodels")


def _loaded_after(code: str) -> list[str]:
    """The HEAVY modules a fresh interpreter has imported after running `code`."""
    script = (
        "import json, sys\n"
        f"try:\n    {code}\nexcept SystemExit:\n    pass\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_cli_loads_no_forecasting_model_or_jit_library():
    assert _loaded_after("import moodcast.cli") == []


@pytest.mark.parametrize(
    "args", [["--help"], ["run", "--help"], ["tag", "--help"], ["markers", "--help"]]
)
def test_help_loads_no_forecasting_model_or_jit_library(args):
    assert _loaded_after(f"from moodcast.cli import cli; cli({args!r})") == []


def test_a_command_that_does_not_forecast_loads_no_forecasting_library(tmp_path):
    code = f"from moodcast.cli import cli; cli(['export', '-o', {str(tmp_path / 'out')!r}, '--data-dir', {str(tmp_path)!r}])"
    loaded = _loaded_after(code)
    assert not set(loaded) & set(FORECASTING)
