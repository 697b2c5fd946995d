#!/usr/bin/env bash
# Runs the whole test suite: unit, functional (real RabbitMQ, SQLite,
# MariaDB, PostgreSQL) and end-to-end (every service as a process, real
# engines). Extra arguments go to pytest, e.g. ./run_tests.sh tests/unit
set -uo pipefail
cd "$(dirname "$0")"
./tools/bootstrap.sh || exit 1
.venv/bin/python -m pytest -p no:cacheprovider "$@"
status=$?
# pytest exits 5 when it collected nothing (e.g. a filter matched no test).
if [ $status -eq 5 ]; then
  echo "no tests were collected"
  status=0
fi
exit $status
