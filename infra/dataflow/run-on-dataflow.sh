#!/usr/bin/env bash
# Example: the daily moodcast run with its Beam stage on Google Cloud Dataflow.
#
# The Beam job (read, parse, tag, aggregate) runs on Dataflow workers; the DuckDB load, forecasts
# and exports then run here, where `moodcast` runs, against DATA_DIR, which must be a persistent
# disk that outlives this machine or pod. moodcast waits for the Dataflow job to finish.
# The job's landing files go under --temp_location
# (gs://$BUCKET/dataflow/temp/moodcast-landing/<warehouse>/<run id>, <warehouse> from
# DATA_DIR/landing.id)
# and are copied back here for the load; they are deleted once loaded, or by the next run.
#
# Placeholders: set them in the environment (or edit the defaults) before use.
#   PROJECT, REGION, BUCKET  GCP project, Dataflow region, bucket for staging/temp files
#   INPUT                    object-store pattern; quoted so Beam, not the shell, expands it
#   DATA_DIR                 the moodcast data dir (defaults to MOODCAST_HOME)
#   SDK_CONTAINER_IMAGE      worker image built from infra/dataflow/Dockerfile.worker; when
#                            empty, workers install moodcast at start-up instead (see below)
#   MOODCAST_SECRET          required: a remote runner refuses to start without it. Workers need
#                            it to hash author ids, so it travels with the job: restrict who can
#                            read the bucket and view or submit jobs in the project.
# Requirements where this script runs: the moodcast venv with Beam's GCP extras installed
# (apache-beam[gcp] at the version in constraints.txt) and Google credentials (ADC or a
# service account) allowed to launch Dataflow jobs and use the bucket.
set -euo pipefail

: "${MOODCAST_SECRET:?MOODCAST_SECRET must be set (see infra/README.md)}"
PROJECT="${PROJECT:-my-gcp-project}"
REGION="${REGION:-europe-west1}"
BUCKET="${BUCKET:-my-moodcast-bucket}"
INPUT="${INPUT:-gs://${BUCKET}/posts/*.jsonl.gz}"
DATA_DIR="${DATA_DIR:-${MOODCAST_HOME:-/var/lib/moodcast}}"
SDK_CONTAINER_IMAGE="${SDK_CONTAINER_IMAGE:-}"
MOODCAST="${MOODCAST:-moodcast}"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export HF_HUB_OFFLINE=1

if [[ -n "$SDK_CONTAINER_IMAGE" ]]; then
  # Recommended: everything is in the image; workers install nothing.
  worker_deps=(--sdk_container_image="$SDK_CONTAINER_IMAGE")
else
  # Quick start: Beam builds an sdist of this repository (needs the `build` package in this
  # venv) and every worker pip-installs it at start-up, the CPU torch wheel first
  # (worker-requirements.txt). Slower starts, and workers need outbound internet.
  worker_deps=(
    --setup_file="$repo_root/pyproject.toml"
    --requirements_file="$repo_root/infra/dataflow/worker-requirements.txt"
    --requirements_cache=skip
  )
fi

exec "$MOODCAST" run "$INPUT" --data-dir "$DATA_DIR" -- \
  --runner=DataflowRunner \
  --project="$PROJECT" \
  --region="$REGION" \
  --temp_location="gs://${BUCKET}/dataflow/temp" \
  --staging_location="gs://${BUCKET}/dataflow/staging" \
  --job_name="moodcast-$(date -u +%Y%m%d-%H%M%S)" \
  --max_num_workers=10 \
  "${worker_deps[@]}"
  # Also common: --service_account_email=moodcast-worker@PROJECT.iam.gserviceaccount.com
  #   --subnetwork=regions/REGION/subnetworks/NAME --no_use_public_ips
