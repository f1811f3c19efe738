#!/usr/bin/env bash
# Compile moodcast's numba kernels into their cache (transforms/kernel_cache.py: a folder named
# after the transforms sources, under NUMBA_CACHE_DIR when set, else transforms/__pycache__/numba)
# by running the demo on a small sample in a temporary directory, so that the first
# `moodcast demo` or run loads them instead of compiling them (~40 CPU s). install.sh calls it;
# rerunning it with the cache warm compiles nothing. PYTHON names the interpreter (default
# .venv/bin/python); the code is this checkout's.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if ! "$PYTHON" -c 'from moodcast.cli import cli; cli()' demo --posts 2000 --no-dashboard \
  --sample-dir "$work/sample" --data-dir "$work/data" >"$work/log" 2>&1; then
  tail -n 20 "$work/log" >&2
  exit 1
fi
