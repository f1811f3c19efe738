"""What a newcomer met running the README's first command (`moodcast demo`) on a fresh
clone: each a regression test that fails before its fix."""

from __future__ import annotations

from moodcast.cli import demo_outputs, moodcast_command
from moodcast.config import load_settings


def test_the_demo_names_its_data_directory_and_how_to_serve_the_dashboard_again(tmp_path):
    """Regression: it named the exports and said 'Ctrl-C to stop', but not where the warehouse
    is nor how to see the dashboard again once stopped."""
    settings = load_settings(str(tmp_path / "data"), reads_posts=False)
    serving = demo_outputs(settings, port=8502).splitlines()
    again = f"`{moodcast_command()} dashboard --data-dir {settings.data_dir}"
    assert serving[0].startswith(f"exports (CSV, Parquet, data dictionary) in {tmp_path}")
    assert f"(moodcast.duckdb) and the rest of the run's state in {tmp_path / 'data'}" in serving[0]
    assert serving[1] == (
        f"dashboard on http://127.0.0.1:8502 (Ctrl-C stops it; {again} --port 8502` serves it again)"
    )
    assert demo_outputs(settings, port=None).splitlines()[1] == f"{again}` serves the dashboard"
