"""Serving the dashboard: who may reach it, and what a stop leaves behind."""

import os
import signal
import socket
import subprocess
import sys

import pytest
from click.testing import CliRunner

from benchmarks.servers import STREAMLIT_READY, serving
from dashboard.serve import INSECURE_ENV, exposure_problem, is_loopback, serve_command
from moodcast.cli import main


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("0.0.0.0", False), ("10.1.2.3", False)],
)  # fmt: skip
def test_loopback_hosts(host, loopback):
    assert is_loopback(host) is loopback


def test_a_network_host_without_sign_in_is_refused_unless_insecure_is_explicit(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert "--insecure-no-auth" in exposure_problem("0.0.0.0", insecure_no_auth=False)
    assert exposure_problem("0.0.0.0", insecure_no_auth=True) is None
    assert exposure_problem("127.0.0.1", insecure_no_auth=False) is None
    result = CliRunner().invoke(
        main, ["dashboard", "--host", "0.0.0.0", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 3 and "no sign-in" in result.output
    _, env = serve_command(tmp_path, host="0.0.0.0", k=11, tz="UTC", insecure_no_auth=True)
    assert env[INSECURE_ENV] == "1"
    _, env = serve_command(tmp_path, host="127.0.0.1", k=11, tz="UTC", insecure_no_auth=True)
    assert INSECURE_ENV not in env


def test_sign_in_configured_allows_a_network_host(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text('[auth]\nredirect_uri = "x"\n')
    assert exposure_problem("0.0.0.0", insecure_no_auth=False) is None


@pytest.mark.slow
def test_sigterm_to_moodcast_dashboard_leaves_nothing_listening(tmp_path):
    def command(port: int) -> list[str]:
        return [sys.executable, "-c", "from moodcast.cli import cli; cli()", "dashboard",
                "--port", str(port), "--data-dir", str(tmp_path)]  # fmt: skip

    with serving(command, ready=STREAMLIT_READY, log_dir=tmp_path / "logs", timeout_s=60) as server:
        os.kill(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=30)
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", server.port)) != 0, "something still listens"


def _moodcast(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", "from moodcast.cli import cli; cli()", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_a_port_in_use_is_an_error_that_names_another_port(tmp_path):
    """A second `moodcast dashboard` (or demo) while the first still serves got Streamlit's
    bare `Port 8501 is not available`, exit 1; the demo only after a whole run."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        served = _moodcast("dashboard", "--port", str(port), "--data-dir", str(tmp_path / "data"))
        assert served.returncode == 3, served.stderr
        assert f"Error: port {port} of 127.0.0.1 is already in use" in served.stderr
        assert f"--port {port + 1}" in served.stderr
        demo = _moodcast(
            "demo",
            "--port",
            str(port),
            "--posts",
            "200",
            "--data-dir",
            str(tmp_path / "data"),
            "--sample-dir",
            str(tmp_path / "sample"),
        )
        assert demo.returncode == 3, demo.stderr
        assert "--no-dashboard" in demo.stderr
        assert not (tmp_path / "sample").exists() and not (tmp_path / "data").exists()


def test_the_served_app_is_told_the_privacy_mode_and_the_week_grain(tmp_path):
    _, env = serve_command(tmp_path, k=5, tz="UTC", privacy="dp", week_grain="epi_week")
    assert (env["MOODCAST_K"], env["MOODCAST_PRIVACY"]) == ("5", "dp")
    assert env["MOODCAST_WEEK_GRAIN"] == "epi_week"
