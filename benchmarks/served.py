"""A served dashboard and a headless Chromium driving it: what `benchmarks/dashboard.py` times,
and what tests/dashboard/test_browser.py drives."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from benchmarks.servers import STREAMLIT_READY, serving
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


@contextlib.contextmanager
def served(data_dir: Path, *, k: int = 11, tz: str = "UTC", timeout_s: float = 60) -> Iterator[str]:
    """The dashboard served on a free local port for the block (`serving`: on another port
    when that one is taken first; its log, under the temporary folder's `moodcast-streamlit/`,
    kept only on an error); yields its URL."""
    _, env = serve_command(data_dir, k=k, tz=tz)
    with serving(
        lambda port: serve_command(data_dir, port=port, k=k, tz=tz)[0],
        ready=STREAMLIT_READY,
        log_dir=Path(tempfile.gettempdir()) / "moodcast-streamlit",
        env=env,
        timeout_s=timeout_s,
    ) as server:
        yield f"http://127.0.0.1:{server.port}"


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
