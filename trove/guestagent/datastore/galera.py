"""Galera on a MariaDB guest: the member's cluster settings, its state
as the wsrep status shows it, and where its data stands after a stop.

The cluster settings live in ``etc/conf.d/galera.cnf`` (read before the
user's overrides; wsrep_* settings are not user-settable). Its presence
is what makes this engine a cluster member: the health check then wants
the member Synced in a primary component, and a start joins the cluster
(``--wsrep-new-cluster`` only when this member bootstraps it).

Recovery of a full-cluster stop reads ``grastate.dat``: the member whose
``safe_to_bootstrap`` is 1 (it stopped last, cleanly) or, when every
member was killed, the one with the highest committed seqno — found with
``mariadbd --wsrep-recover`` when the file says -1 — bootstraps.
"""

import os
import re

from oslo_log import log as logging

from trove.guestagent import errors
from trove.guestagent import operating_system

LOG = logging.getLogger(__name__)

PROVIDER = '/usr/lib/galera/libgalera_smm.so'
CONFIG_NAME = 'galera.cnf'
GRASTATE = 'grastate.dat'
GROUP_PORT = 4567
IST_PORT = 4568
SST_PORT = 4444
_RECOVERED = re.compile(r'WSREP: Recovered position:\s*([0-9a-f-]+):(-?\d+)')


def config_path(engine):
    return os.path.join(engine.overrides_dir, CONFIG_NAME)


def is_member(engine):
    return os.path.exists(config_path(engine))


def render(cluster_configuration):
    """The galera.cnf of one member from the taskmanager's
    ``{"cluster_name", "members": [addresses], "node_address",
    "node_name"}``."""
    address = cluster_configuration['node_address']
    members = ','.join(cluster_configuration['members'])
    lines = [
        '# Written by the guest agent: this instance is a Galera member.',
        '[mysqld]',
        'wsrep_on = ON',
        'wsrep_provider = %s' % PROVIDER,
        'wsrep_cluster_name = %s' % cluster_configuration['cluster_name'],
        'wsrep_cluster_address = gcomm://%s' % members,
        'wsrep_node_address = %s' % address,
        'wsrep_node_name = %s' % cluster_configuration.get(
            'node_name', address),
        # Every member has its own address: each listens on its own.
        'wsrep_provider_options = "gmcast.listen_addr=tcp://%s:%d; '
        'ist.recv_addr=%s:%d"' % (address, GROUP_PORT, address, IST_PORT),
        'wsrep_sst_method = rsync',
        'wsrep_sst_receive_address = %s:%d' % (address, SST_PORT),
        'binlog_format = ROW',
        'innodb_autoinc_lock_mode = 2',
        # Write sets of every member land in each binary log in the order
        # they were certified, not by GTID sequence per server.
        'gtid_strict_mode = OFF',
    ]
    return '\n'.join(lines) + '\n'


def write_config(engine, cluster_configuration):
    engine.ensure_config_dirs()
    operating_system.write_file(config_path(engine),
                                render(cluster_configuration))


def status(admin):
    """``{"wsrep_...": value}`` from SHOW STATUS (which a member answers
    also outside a primary component); {} if the server does not answer."""
    try:
        with admin.cursor() as cursor:
            cursor.execute("SHOW GLOBAL STATUS LIKE 'wsrep_%%'")
            return {name.lower(): value for name, value in cursor.fetchall()}
    except Exception as error:     # not answering: no status
        LOG.debug('No wsrep status: %s', error)
        return {}


def reject_queries(admin):
    """New statements are refused with 1047 (nothing executed: a client
    moves to another member); running ones finish. Undone by the
    restart that follows."""
    with admin.cursor() as cursor:
        cursor.execute("SET GLOBAL wsrep_reject_queries = 'ALL'")


def is_synced(wsrep):
    return (wsrep.get('wsrep_cluster_status') == 'Primary'
            and wsrep.get('wsrep_local_state_comment') == 'Synced'
            and wsrep.get('wsrep_ready') == 'ON')


def read_grastate(engine):
    """{"uuid", "seqno", "safe_to_bootstrap"} of the stopped member."""
    text = operating_system.read_file(
        os.path.join(engine.data_dir, GRASTATE)) or ''
    state = {'uuid': None, 'seqno': -1, 'safe_to_bootstrap': 0}
    for line in text.splitlines():
        key, _, value = line.partition(':')
        key, value = key.strip(), value.strip()
        if key == 'uuid':
            state['uuid'] = value
        elif key == 'seqno':
            state['seqno'] = int(value)
        elif key == 'safe_to_bootstrap':
            state['safe_to_bootstrap'] = int(value)
    return state


def recover_seqno(engine):
    """The last committed seqno of a killed member, from InnoDB
    (``--wsrep-recover`` runs the server just long enough to read it)."""
    command = engine.server_command() + ['--wsrep-recover',
                                         '--log-error=%s' % os.path.join(
                                             engine.runtime_dir,
                                             'wsrep-recover.log')]
    try:
        output = operating_system.run(command, user=engine.user,
                                      timeout=120)
    except errors.CommandError as error:
        output = error.output or ''
    output += operating_system.read_file(
        os.path.join(engine.runtime_dir, 'wsrep-recover.log')) or ''
    found = _RECOVERED.findall(output)
    if not found:
        LOG.warning('wsrep-recover found no position: %s', output[-2000:])
        return None, -1
    uuid, seqno = found[-1]
    return uuid, int(seqno)


def position(engine):
    """Where a stopped member's data stands."""
    state = read_grastate(engine)
    if state['seqno'] < 0 and engine.is_initialized():
        uuid, seqno = recover_seqno(engine)
        state['seqno'] = seqno
        state['uuid'] = state['uuid'] or uuid
    return state


def allow_bootstrap(engine):
    """Mark this member's data safe to bootstrap from (it was chosen)."""
    path = os.path.join(engine.data_dir, GRASTATE)
    text = operating_system.read_file(path)
    if not text:
        return
    text = re.sub(r'safe_to_bootstrap:\s*\d', 'safe_to_bootstrap: 1', text)
    operating_system.write_file(path, text, mode=0o660, owner=engine.user)
