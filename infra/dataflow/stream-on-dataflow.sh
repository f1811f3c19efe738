#!/usr/bin/env bash
# Example: `moodcast stream` with its Beam streaming job on Google Cloud Dataflow, reading a
# Pub/Sub subscription whose messages are Posts (one JSON object each; see README "Inputs").
#
# The job runs on Dataflow workers (Streaming Engine); this host runs the loader, the single
# writer of DATA_DIR's DuckDB file: every --load-every it reads the pane, counts and dead-letter
# files the job wrote under gs://$BUCKET/dataflow/temp/moodcast-landing/<warehouse>/<run id>/
# (<warehouse> from DATA_DIR/stream.id), upserts the days pane-aware and publishes. Stop it with SIGTERM; drain the Dataflow job to fire the last
# panes first (gcloud dataflow jobs drain).
#
# Placeholders: PROJECT, REGION, BUCKET, SUBSCRIPTION (projects/P/subscriptions/S), DATA_DIR,
# SDK_CONTAINER_IMAGE (from infra/dataflow/Dockerfile.worker). MOODCAST_SECRET is required.
# Where this runs: the moodcast venv with apache-beam[gcp] at the pinned version, and Google
# credentials allowed to launch Dataflow jobs, read the subscription and use the bucket.
set -euo pipefail

: "${MOODCAST_SECRET:?MOODCAST_SECRET must be set (see infra/README.md)}"
PROJECT="${PROJECT:-my-gcp-project}"
REGION="${REGION:-europe-west1}"
BUCKET="${BUCKET:-my-moodcast-bucket}"
SUBSCRIPTION="${SUBSCRIPTION:-projects/${PROJECT}/subscriptions/moodcast-posts}"
DATA_DIR="${DATA_DIR:-${MOODCAST_HOME:-/var/lib/moodcast}}"
SDK_CONTAINER_IMAGE="${SDK_CONTAINER_IMAGE:?build infra/dataflow/Dockerfile.worker and set SDK_CONTAINER_IMAGE}"
MOODCAST="${MOODCAST:-moodcast}"
export HF_HUB_OFFLINE=1

exec "$MOODCAST" stream --subscription "$SUBSCRIPTION" --data-dir "$DATA_DIR" \
  --early-every 60s --allowed-lateness 2d --load-every 60s -- \
  --runner=DataflowRunner \
  --project="$PROJECT" \
  --region="$REGION" \
  --temp_location="gs://${BUCKET}/dataflow/temp" \
  --staging_location="gs://${BUCKET}/dataflow/staging" \
  --sdk_container_image="$SDK_CONTAINER_IMAGE" \
  --sdk_location=container \
  --enable_streaming_engine \
  --job_name=moodcast-stream \
  --max_num_workers=10
