"""benchmarks/first_hour.py says whether the demo compiled kernels by the kernel files it wrote
into its numba cache. It read the log's compiling notice (transforms.kernel_cache), which the
first process to compile into a folder writes only where no other did in the last
NOTICE_FRESH_S: right after the precompile had compiled into the same folder, a demo that
compiled more said nothing, and the column read `no` whatever it did."""

from __future__ import annotations

from benchmarks import first_hour

COMPILES_QUIETLY = """
import http.server, os, pathlib, sys, threading

def cli():
    port = int(sys.argv[sys.argv.index("--port") + 1])
    folder = pathlib.Path(os.environ["NUMBA_CACHE_DIR"]) / "0123456789abcdef"
    (folder / "transforms").mkdir(parents=True, exist_ok=True)
    (folder / "transforms" / "engine.scan-1.py311.1.nbc").write_bytes(b"kernel")

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", port), Health)
    print("dashboard on http://127.0.0.1:%d" % port, flush=True)
    server.serve_forever()
"""


def test_a_demo_that_compiles_after_the_precompile_is_said_to_compile(tmp_path):
    tree = tmp_path / "tree"
    (tree / "moodcast").mkdir(parents=True)
    (tree / "moodcast" / "__init__.py").write_text("")
    (tree / "moodcast" / "cli.py").write_text(COMPILES_QUIETLY)
    side = tmp_path / "side"
    precompiled = side / "numba" / "0123456789abcdef"
    precompiled.mkdir(parents=True)
    (precompiled / "compiling.notice").write_text("")

    timed = first_hour.demo(tree, side, posts=10)

    assert b"compiling the marker kernels" not in (side / "demo.log").read_bytes()
    assert timed.compiled
