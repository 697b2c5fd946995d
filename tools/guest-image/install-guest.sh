#!/bin/sh
# Turns a Debian or Ubuntu system into a Trove guest: the engine from the
# distribution's packages, this project's guest agent in a virtualenv, and
# systemd units that, at every boot, mount the data volume and start the
# agent from nothing but the files Trove injects into
# /etc/trove/conf.d (guest_info.conf, trove-guestagent.conf).
#
# Use it in an image build (the diskimage-builder element beside this
# file runs it in the image's chroot) or as a datastore's
# <cloudinit_location>/<manager>.cloudinit, which makes a stock cloud
# image a guest at its first boot (slower: packages are installed then).
#
# Settings (environment):
#   TROVE_DATASTORE   mariadb (default), mysql or postgresql
#   TROVE_AGENT_SOURCE  what pip installs as the agent: a wheel path or
#                     URL, or "trove @ git+https://..." (required unless
#                     TROVE_AGENT_VENV already holds it)
#   TROVE_AGENT_VENV  /opt/trove-guestagent-venv (default)
#   TROVE_INSTALL_PACKAGES  1 (default) or 0 to skip apt-get
#   TROVE_GUEST_ROOT  / (default); another root writes the files there
#                     (tests, or an image mounted elsewhere)
#   TROVE_START_NOW   1 to start the units now (first-boot cloud-init use)
set -eu

DATASTORE=${TROVE_DATASTORE:-mariadb}
VENV=${TROVE_AGENT_VENV:-/opt/trove-guestagent-venv}
ROOT=${TROVE_GUEST_ROOT:-/}
ROOT=${ROOT%/}
HERE=$(cd "$(dirname "$0")" && pwd)

case "$DATASTORE" in
  mariadb) PACKAGES="mariadb-server mariadb-backup" ;;
  mysql) PACKAGES="mysql-server percona-xtrabackup-80" ;;
  postgresql) PACKAGES="postgresql postgresql-contrib" ;;
  *) echo "unknown datastore $DATASTORE" >&2; exit 2 ;;
esac

if [ "${TROVE_INSTALL_PACKAGES:-1}" = 1 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q $PACKAGES python3-venv e2fsprogs
  # The agent runs the engine itself; the distribution's service must not
  # hold the port or the data directory.
  for unit in mariadb mysql postgresql; do
    systemctl disable --now "$unit" >/dev/null 2>&1 || true
  done
fi

if [ ! -x "$ROOT$VENV/bin/trove-guestagent" ]; then
  if [ -z "${TROVE_AGENT_SOURCE:-}" ]; then
    echo "TROVE_AGENT_SOURCE is not set and $ROOT$VENV has no agent" >&2
    exit 2
  fi
  python3 -m venv "$ROOT$VENV"
  "$ROOT$VENV/bin/pip" install -q "$TROVE_AGENT_SOURCE"
fi

mkdir -p "$ROOT/etc/trove/conf.d" "$ROOT/etc/systemd/system" \
         "$ROOT/usr/local/sbin"
UNITS="trove-guestagent.service"
VOLUME_DEPENDENCY=""
if [ -f "$HERE/trove-guest-volume" ]; then
  install -m 0755 "$HERE/trove-guest-volume" \
          "$ROOT/usr/local/sbin/trove-guest-volume"
  cat > "$ROOT/etc/systemd/system/trove-guest-volume.service" <<UNIT
[Unit]
Description=Mount the Trove data volume
After=cloud-init.service
Before=trove-guestagent.service
ConditionPathExists=/etc/trove/conf.d/guest_info.conf

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=$VENV/bin/python3 /usr/local/sbin/trove-guest-volume /etc/trove/conf.d

[Install]
WantedBy=multi-user.target
UNIT
  UNITS="trove-guest-volume.service $UNITS"
  VOLUME_DEPENDENCY="Requires=trove-guest-volume.service"
else
  # Run alone (a datastore's .cloudinit part): no volume helper beside
  # it, so the data stays on the root disk.
  echo "no trove-guest-volume beside $0: the data volume is not mounted" >&2
fi

cat > "$ROOT/etc/systemd/system/trove-guestagent.service" <<UNIT
[Unit]
Description=Trove guest agent
After=cloud-init.service network-online.target trove-guest-volume.service
Wants=network-online.target
$VOLUME_DEPENDENCY
# Trove injects this file as cloud-init user-data; an image booted
# outside Trove has no agent to run.
ConditionPathExists=/etc/trove/conf.d/guest_info.conf

[Service]
ExecStart=$VENV/bin/trove-guestagent --config-dir /etc/trove/conf.d
Restart=on-failure
RestartSec=5

[Install]
WantedBy=multi-user.target
UNIT

if [ "$ROOT" = "" ] && command -v systemctl >/dev/null 2>&1; then
  systemctl daemon-reload >/dev/null 2>&1 || true
  systemctl enable $UNITS
  if [ "${TROVE_START_NOW:-0}" = 1 ]; then
    systemctl start $UNITS
  fi
else
  mkdir -p "$ROOT/etc/systemd/system/multi-user.target.wants"
  for unit in $UNITS; do
    ln -sf "/etc/systemd/system/$unit" \
       "$ROOT/etc/systemd/system/multi-user.target.wants/$unit"
  done
fi
echo "trove guest ($DATASTORE) installed under ${ROOT:-/}"
