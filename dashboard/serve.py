"""Serving the Streamlit app: the one place that starts a Streamlit server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).with_name("app.py")


def serve_command(
    data_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8501,
    k: int,
    tz: str,
    privacy: str = "suppress",
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of `streamlit run dashboard/app.py` on `host:port`,
    reading `data_dir`'s published warehouse read-only and suppressing cells below `k`, or
    showing the DP release when `privacy` is `dp`.

    Streamlit's forced full garbage collection after every script run is off
    (`runner.postScriptGC`): it held the interpreter for 50–100 ms per interaction on 2 cores,
    and nothing the pages keep needs it (Python's own collector still runs). The served app
    warms the pages' first queries in the background (`MOODCAST_WARM_CACHES`, see
    `dashboard.data`)."""
    env = {
        **os.environ,
        "MOODCAST_HOME": str(data_dir),
        "MOODCAST_K": str(k),
        "MOODCAST_TZ": tz,
        "MOODCAST_PRIVACY": privacy,
        "MOODCAST_WARM_CACHES": "1",
    }
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", host,
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--theme.primaryColor", "#0072B2",
        "--client.toolbarMode", "viewer",
        "--runner.postScriptGC", "false",
    ]  # fmt: skip
    return command, env


def serve(
    data_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8501,
    k: int,
    tz: str,
    privacy: str = "suppress",
) -> int:
    """Run `streamlit run dashboard/app.py` on `host:port` until it stops; return its exit code.

    The app reads `data_dir`'s published warehouse read-only, suppressing cells below `k`.
    """
    command, env = serve_command(data_dir, host=host, port=port, k=k, tz=tz, privacy=privacy)
    return subprocess.call(command, env=env)
