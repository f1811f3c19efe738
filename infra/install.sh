#!/usr/bin/env bash
# Build ./.venv and install moodcast with the versions that resolve together (constraints.txt).
# torch 2.13.0 goes first: on these machines it is a local CPU wheel, and any other torch request
# would pull a multi-GB CUDA build. Safe to rerun: an up-to-date venv is left as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
stamp=.venv/.moodcast-installed
want="$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)"
if [[ -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
echo "installing moodcast into .venv: ~2 GB of packages, 2-5 minutes on 2 cores from a warm pip cache, longer to download …" >&2
[[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
echo "[1/4] torch 2.13.0 (CPU) …" >&2
.venv/bin/python -m pip install --quiet torch==2.13.0
echo "[2/4] moodcast and the pinned stack of constraints.txt (the longest step) …" >&2
# setuptools warns every editable install of a flat layout that same-named folders may shadow its
# packages (here the folders are the packages): a block of asterisks that reads as a failure.
PYTHONWARNINGS="ignore:Editable installation:UserWarning" \
  .venv/bin/python -m pip install --quiet -c constraints.txt -e '.[dev]'
echo "[3/4] pip check …" >&2
.venv/bin/python -m pip check
echo "[4/4] compiling moodcast's kernels on a small demo (~40 s of CPU, once; the first run would) …" >&2
# precompile.sh reads PYTHON as the interpreter that runs moodcast, not the one that made .venv.
PYTHON=.venv/bin/python bash infra/precompile.sh || echo "could not compile the kernels now: the first run compiles them" >&2
echo "$want" > "$stamp"
echo "installed: .venv is ready" >&2
