"""The dashboard never compiles a numba kernel, so its container needs no persistent cache.

Modules whose kernels carry `numba.njit(cache=True)` only look for a writable cache directory;
compiling one would write there. The pages imported such modules (through transforms.aggregate)
until tidy5 moved the period functions to transforms.periods; they import none now, and the
check stays for a page that comes to import one. The run and
follow units keep their compiled kernels in a persistent NUMBA_CACHE_DIR; the dashboard mounts
the data volume read-only and gets a scratch one (infra/)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import gc, json
from numba.core.dispatcher import Dispatcher
from streamlit.testing.v1 import AppTest

screens = ROOT / "dashboard" / "screens"
runs = [AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120).run()]
for name in ("overview", "timelines", "forecasts", "alerts", "exports", "health"):
    runs.append(AppTest.from_file(str(screens / f"{name}.py"), default_timeout=120).run())
timelines, exports = runs[2], runs[5]
timelines.radio[0].set_value("other markers").run()
timelines.multiselect[0].select(timelines.multiselect[0].options[0]).run()
for view in ("forecasts", "alerts"):
    exports.radio[0].set_value(view).run()
kernels = [d for d in gc.get_objects() if isinstance(d, Dispatcher)]
print(json.dumps({
    "exceptions": sum(bool(at.exception) for at in runs),
    "kernels": len(kernels),
    "compiled": [d.py_func.__qualname__ for d in kernels if d.signatures],
}))
"""


def test_every_page_renders_without_compiling_a_kernel(published_run, tmp_path):
    cache = tmp_path / "numba-cache"
    env = {
        **os.environ,
        "MOODCAST_HOME": str(published_run[0]),
        "NUMBA_CACHE_DIR": str(cache),
        "NUMBA_CACHE_LOCATOR_CLASSES": "UserProvidedCacheLocator",
    }
    done = subprocess.run(
        [sys.executable, "-c", f"from pathlib import Path\nROOT = Path({str(ROOT)!r})\n{SCRIPT}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["exceptions"] == 0
    assert seen["compiled"] == []
    assert not [p.name for p in cache.rglob("*") if p.suffix in (".nbi", ".nbc")]
