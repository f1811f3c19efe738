"""Serving the Streamlit app: the one place that starts a Streamlit server."""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import sys
import tomllib
from pathlib import Path
from typing import NoReturn

APP = Path(__file__).with_name("app.py")
INSECURE_ENV = "MOODCAST_INSECURE_NO_AUTH"
"""Set to `1` in the served app's environment when it runs open on a non-loopback address; every
page then shows a warning banner (dashboard.app)."""


def is_loopback(host: str) -> bool:
    """True for `localhost` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def sign_in_configured(cwd: Path | None = None) -> bool:
    """True when a Streamlit secrets file that the served app reads (`.streamlit/secrets.toml`
    in the working directory or the home directory) has an `[auth]` section (dashboard.auth)."""
    for folder in (cwd or Path.cwd(), Path.home()):
        path = folder / ".streamlit" / "secrets.toml"
        try:
            if "auth" in tomllib.loads(path.read_text(encoding="utf-8")):
                return True
        except (OSError, tomllib.TOMLDecodeError):
            continue
    return False


def exposure_problem(host: str, *, insecure_no_auth: bool) -> str | None:
    """Why serving on `host` must be refused, or None: a non-loopback address needs sign-in
    configured or an explicit `insecure_no_auth`."""
    if is_loopback(host) or insecure_no_auth or sign_in_configured():
        return None
    return (
        f"--host {host.strip() or repr(host)} would serve every page to anyone who can reach "
        f"this machine, with no sign-in. Configure sign-in (an [auth] section in .streamlit/secrets.toml, see the "
        f"README), serve on 127.0.0.1 behind your own proxy, or pass --insecure-no-auth to "
        f"accept it (every page then carries a warning)."
    )


def port_problem(host: str, port: int) -> str | None:
    """Why a server cannot listen on `host:port`, or None: another process listens there (an
    earlier `moodcast demo` or `moodcast dashboard` still serving, or any other server), or the
    operating system refuses the address. Binds and closes a socket as Streamlit's server
    would (SO_REUSEADDR, so a port its last server has just let go of is free)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        return f"--host {host} is no address of this machine ({exc.strerror})."
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"port {port} of {host} is already in use, by another server: an earlier "
                    "`moodcast demo` or `moodcast dashboard` still serving, or another program. "
                    f"Stop it (Ctrl-C where it runs), or pass another port, e.g. --port {port + 1}."
                )
            return f"cannot serve on {host} port {port}: {exc.strerror}."
    return None


def serve_command(
    data_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8501,
    k: int,
    tz: str,
    insecure_no_auth: bool = False,
    privacy: str = "suppress",
    week_grain: str = "iso_week",
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of `streamlit run dashboard/app.py` on `host:port`,
    reading `data_dir`'s published warehouse read-only and suppressing cells below `k`, or
    showing the DP release when `privacy` is `dp`; coarser cells are `week_grain` weeks.

    Streamlit's forced full garbage collection after every script run is off
    (`runner.postScriptGC`): it held the interpreter for 50–100 ms per interaction on 2 cores,
    and nothing the pages keep needs it (Python's own collector still runs). The served app
    warms the pages' first queries in the background (`MOODCAST_WARM_CACHES`, see
    `dashboard.data`). Open on a non-loopback `host` with `insecure_no_auth`, the app shows a
    warning on every page (INSECURE_ENV)."""
    env = {
        **os.environ,
        "MOODCAST_HOME": str(data_dir),
        "MOODCAST_K": str(k),
        "MOODCAST_TZ": tz,
        "MOODCAST_PRIVACY": privacy,
        "MOODCAST_WEEK_GRAIN": week_grain,
        "MOODCAST_WARM_CACHES": "1",
    }
    env.pop(INSECURE_ENV, None)
    if insecure_no_auth and not is_loopback(host) and not sign_in_configured():
        env[INSECURE_ENV] = "1"
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
    insecure_no_auth: bool = False,
    privacy: str = "suppress",
    week_grain: str = "iso_week",
) -> NoReturn:
    """Become `streamlit run dashboard/app.py` on `host:port` (exec: the server is this process,
    so SIGTERM or Ctrl-C reach it directly and nothing is left listening).

    The app reads `data_dir`'s published warehouse read-only, suppressing cells below `k`.
    Raises ValueError (exposure_problem's message) for a non-loopback `host` without sign-in
    configured or `insecure_no_auth`, and (port_problem's) for a `port` already in use.
    """
    problem = exposure_problem(host, insecure_no_auth=insecure_no_auth) or port_problem(host, port)
    if problem:
        raise ValueError(problem)
    command, env = serve_command(
        data_dir,
        host=host,
        port=port,
        k=k,
        tz=tz,
        insecure_no_auth=insecure_no_auth,
        privacy=privacy,
        week_grain=week_grain,
    )
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(command[0], command, env)
