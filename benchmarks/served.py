"""A served dashboard and a headless Chromium driving it: what `benchmarks/dashboard.py` times,
and what tests/dashboard/test_browser.py (and the tests that need a free port) drive."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from dashboard.serve import serve_command

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL_HINT = (
    "install Debian's chromium: `sudo apt-get install chromium` (it must be at /usr/bin/chromium)"
)

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
"""The app once Streamlit's script has finished: its running indicator is gone."""

_RECORD_MESSAGES = """
window.__mcMessages = [];
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener("message", () => window.__mcMessages.push(performance.now()));
  }
};
"""

_WATCH_RERUN = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const idle = () => app.getAttribute("data-test-script-state") === "notRunning";
  window.__mcStart = null;
  for (const type of ["pointerdown", "keydown"]) {
    document.addEventListener(type, (e) => { window.__mcStart = e.timeStamp; },
                              {capture: true, once: true});
  }
  window.__mcIdle = new Promise((resolve) => {
    let running = false;
    const done = (at) => { watch.disconnect(); clearInterval(poll); resolve(at); };
    const watch = new MutationObserver((records) => {
      for (const record of records) if (record.oldValue !== "notRunning") running = true;
      if (running && idle()) done(performance.now());
    });
    watch.observe(app, {attributes: true, attributeOldValue: true,
                        attributeFilter: ["data-test-script-state"]});
    // A rerun faster than one frame never shows as running: it ended with its last message.
    const poll = setInterval(() => {
      const last = window.__mcMessages.at(-1);
      if (!running && window.__mcStart !== null && last > window.__mcStart && idle()
          && performance.now() - last > 150) done(last);
    }, 20);
  });
}"""


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() or shutil.which("chromium") is not None


def free_port() -> int:
    """A TCP port of 127.0.0.1 that is free now (for a server a test or benchmark starts)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def served(data_dir: Path, *, k: int = 11, tz: str = "UTC", timeout_s: float = 60) -> Iterator[str]:
    """The dashboard served on a free local port for the block; yields its URL."""
    port = free_port()
    command, env = serve_command(data_dir, port=port, k=k, tz=tz)
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"moodcast-streamlit-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_healthy(f"http://127.0.0.1:{port}", process, log_path, timeout_s)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_healthy(url: str, process: subprocess.Popen, log_path: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start; see {log_path}") from None
            time.sleep(0.25)


def launch(playwright):
    """Debian's Chromium, headless, through Playwright (never Playwright's own download)."""
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)


def new_page(browser, *, width: int, height: int):
    """A page in its own browser context that records when Streamlit's messages arrive, so
    `timed_rerun` can time reruns too fast to show the running indicator."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_init_script(_RECORD_MESSAGES)
    return context.new_page()


def wait_idle(page, *, timeout_ms: float = 60_000) -> None:
    """Wait until the script has run and its running indicator is gone."""
    page.wait_for_selector(IDLE, timeout=timeout_ms)


def timed_rerun(page, action, *, timeout_ms: float = 60_000) -> float:
    """Run `action()` (one input: a click or key press) and return the milliseconds from its
    input event until the rerun it causes has finished and the running indicator is gone.
    The page must come from `new_page`."""
    page.evaluate(_WATCH_RERUN)
    action()
    end = page.evaluate(
        f"Promise.race([window.__mcIdle, new Promise((_, no) => "
        f"setTimeout(() => no(new Error('no rerun finished')), {timeout_ms}))])"
    )
    start = page.evaluate("window.__mcStart")
    if start is None:
        raise RuntimeError("the action dispatched no pointer or key event")
    return end - start
