#!/usr/bin/env bash
# Runs the whole test suite: unit, functional (real RabbitMQ, SQLite,
# MariaDB, PostgreSQL), end-to-end (every service as a process, real
# engines) and the OpenStack tier (real Keystone, Nova, Cinder, Neutron...).
# Extra arguments go to one pytest run, e.g. ./run_tests.sh tests/unit
#
# Without arguments: two pytest runs. Everything but the OpenStack tier
# runs in two workers, a test module per worker at a time (most e2e time
# is waiting for engines and services, so two halve the wall time; each
# module's systems stay in one worker); then the OpenStack tier alone, as
# its one shared stack would not fit twice beside the rest.
set -uo pipefail
cd "$(dirname "$0")"
./tools/bootstrap.sh || exit 1

run_pytest() {
  .venv/bin/python -m pytest -p no:cacheprovider "$@"
  local status=$?
  # pytest exits 5 when it collected nothing (e.g. a filter matched no test).
  if [ $status -eq 5 ]; then
    echo "no tests were collected"
    status=0
  fi
  return $status
}

if [ $# -gt 0 ]; then
  run_pytest "$@"
  exit $?
fi

run_pytest -n 2 --dist loadfile --ignore=tests/openstack
parallel_status=$?
run_pytest tests/openstack
openstack_status=$?
if [ $parallel_status -ne 0 ]; then
  exit $parallel_status
fi
exit $openstack_status
