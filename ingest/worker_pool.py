"""An EXTERNAL Beam worker pool bound to one address (loopback by default), for the portable
runner: `python -m ingest.worker_pool --address 127.0.0.1:50000`.

Beam's own `apache_beam.runners.worker.worker_pool_main` listens on every interface (`[::]`)
and starts each SDK worker as `python` from PATH, so a pool started outside the virtual
environment hangs on `No module named 'apache_beam'`. This one binds the address it is given
and puts its own interpreter's directory first on PATH before it starts any worker. Workers
inherit its environment (PYTHONPATH, MOODCAST_SECRET, HF_HUB_OFFLINE). Each worker is a fresh
process: whatever the job needs reaches it pickled, and is set up there.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import signal
import sys
from pathlib import Path

import grpc
from apache_beam.portability.api import beam_fn_api_pb2_grpc
from apache_beam.runners.worker.worker_pool_main import (
    BeamFnExternalWorkerPoolServicer,
    kill_process_gracefully,
)
from apache_beam.utils import thread_pool_executor

log = logging.getLogger(__name__)


def serve(address: str) -> tuple[grpc.Server, int]:
    """Start a worker pool on `address` (`host:port`; port 0 picks a free one) and return the
    server and its port. Workers it starts are stopped when this process exits."""
    bin_dir = str(Path(sys.executable).parent)
    os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
    server = grpc.server(
        thread_pool_executor.shared_unbounded_instance(),
        options=[("grpc.http2.max_pings_without_data", 0), ("grpc.http2.max_ping_strikes", 0)],
    )
    port = server.add_insecure_port(address)
    if not port:
        raise OSError(f"cannot listen on {address}: is it in use?")
    pool = BeamFnExternalWorkerPoolServicer(use_process=True)
    beam_fn_api_pb2_grpc.add_BeamFnExternalWorkerPoolServicer_to_server(pool, server)
    server.start()
    atexit.register(
        lambda: [kill_process_gracefully(p) for p in list(pool._worker_processes.values())]
    )
    return server, port


def main(argv: list[str] | None = None) -> None:
    """Serve until SIGTERM or Ctrl-C (its workers are stopped too); `--port-file` receives the
    bound port once it listens."""
    parser = argparse.ArgumentParser(prog="python -m ingest.worker_pool", description=__doc__)
    parser.add_argument("--address", default="127.0.0.1:50000", help="host:port to listen on")
    parser.add_argument("--port-file", type=Path, help="write the bound port here")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    server, port = serve(args.address)
    host = args.address.rsplit(":", 1)[0]
    log.info("worker pool: listening on %s:%d (workers run %s)", host, port, sys.executable)
    if args.port_file:
        tmp = args.port_file.with_suffix(".tmp")
        tmp.write_text(str(port))
        tmp.replace(args.port_file)
    signal.signal(signal.SIGTERM, lambda *_: server.stop(0))
    try:
        server.wait_for_termination()
    except KeyboardInterrupt:
        server.stop(0)


if __name__ == "__main__":
    main()
