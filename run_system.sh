#!/usr/bin/env bash
# Brings the whole control plane up on this machine with the embedded
# defaults (trove-local: SQLite control DB, local RabbitMQ, noauth API on
# 127.0.0.1:8779, instances as local processes), then provisions a demo
# MariaDB instance and prints how to connect to it.
#   TROVE_STATE_DIR   where state, logs and instances live (./.trove-local)
#   TROVE_API_PORT    API port (8779)
# Stop everything with: .venv/bin/trove-local down --state-dir .trove-local
set -euo pipefail
cd "$(dirname "$0")"
./tools/bootstrap.sh
STATE_DIR=${TROVE_STATE_DIR:-$PWD/.trove-local}
.venv/bin/trove-local up --state-dir "$STATE_DIR" --api-port "${TROVE_API_PORT:-8779}"
.venv/bin/trove-local demo --state-dir "$STATE_DIR"
