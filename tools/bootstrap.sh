#!/usr/bin/env bash
# Creates .venv with the project and its test tools, installs the Debian
# packages the system and the tests need, and starts the shared services
# (RabbitMQ, MariaDB, PostgreSQL) when they are not running. Idempotent:
# a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[bootstrap] %s\n' "$*" >&2; }

need_packages=()
for pair in "rabbitmqctl:rabbitmq-server" "mariadbd:mariadb-server" \
            "mariadb-backup:mariadb-backup" "mbstream:mariadb-backup" \
            "pg_basebackup:postgresql" "wrk:wrk" "memcached:memcached"; do
  cmd=${pair%%:*}; pkg=${pair##*:}
  if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$cmd" ]; then
    need_packages+=("$pkg")
  fi
done
if [ ${#need_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing ${need_packages[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "${need_packages[@]}" >/dev/null 2>&1 || {
      apt-get update -q >/dev/null 2>&1
      apt-get install -y -q "${need_packages[@]}" >/dev/null
    }
  else
    log "missing packages (install them): ${need_packages[*]}"
  fi
fi

# Headless Chromium and its matching driver, for the browser tests of
# Horizon: optional, those tests skip (saying why) without them.
if [ ! -x /usr/lib/chromium/chromium ] || ! command -v chromedriver >/dev/null 2>&1; then
  browser_packages=(chromium chromium-driver fonts-liberation)
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing ${browser_packages[*]} (~2 min, once)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "${browser_packages[@]}" >/dev/null 2>&1 || {
      apt-get update -q >/dev/null 2>&1
      apt-get install -y -q "${browser_packages[@]}" >/dev/null 2>&1
    } || log "could not install Chromium: the browser tests will skip"
  else
    log "Chromium is not installed: the browser tests will skip"
  fi
fi

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  for _ in $(seq 1 60); do listening "$1" && return 0; sleep 1; done
  log "nothing listens on 127.0.0.1:$1"; return 1
}

if ! listening 5672; then
  log "starting RabbitMQ"
  rabbitmq-server -detached >/dev/null 2>&1 || true
  wait_port 5672
fi
if ! listening 3306; then
  log "starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  wait_port 3306
fi
if ! listening 5432; then
  log "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
  wait_port 5432
fi

if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  python3 -m venv .venv
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ requirements.txt -nt "$stamp" ] || \
   [ test-requirements.txt -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ] || \
   [ setup.cfg -nt "$stamp" ]; then
  log "installing Python packages"
  .venv/bin/pip install -q --disable-pip-version-check -c constraints.txt \
    -r requirements.txt -r test-requirements.txt
  .venv/bin/pip install -q --disable-pip-version-check --no-deps -e .
  touch "$stamp"
fi
# pip compiles the bytecode of what it installs, not of an editable
# project: with PYTHONDONTWRITEBYTECODE set (as on some CI machines) every
# process, each guest agent among them, would compile trove's modules
# again at every start (about 45 ms of CPU each). Up-to-date files are
# skipped, so this is quick after the first run.
.venv/bin/python -m compileall -q -j 0 trove >/dev/null

# Keystone, Swift and Horizon pin their own oslo and Django versions, so
# each runs from a virtualenv of its own under ~/.cache/trove-dev
# (TROVE_KEYSTONE_VENV, TROVE_SWIFT_VENV, TROVE_HORIZON_VENV); ~2 min on
# the first run, a stamp check afterwards.
.venv/bin/python -c 'from trove.localenv import dashboard, keystone, swift
keystone.ensure_venv()
swift.ensure_venv()
dashboard.ensure_venv()'
