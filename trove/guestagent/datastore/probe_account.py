"""The reserved engine account ``os_probe`` the taskmanager's failover
probes log in with (trove.taskmanager.failover.probes): no privilege, a
password from ``[DEFAULT] engine_probe_password`` (trove-local generates
one). Created on a primary at prepare; replicas get it with the data.
Without a password nothing is created (a refused login still shows the
engine answers, at the price of an "Access denied" warning per probe).
"""

from oslo_log import log as logging

from trove.conf import CONF

LOG = logging.getLogger(__name__)

PROBE_USER = 'os_probe'
MYSQL_FAMILY = ('mysql', 'mariadb')


def ensure(manager_name, admin):
    password = CONF.engine_probe_password
    if not password:
        return False
    try:
        if manager_name in MYSQL_FAMILY:
            with admin.cursor() as cursor:
                cursor.execute("CREATE USER IF NOT EXISTS 'os_probe'@'%%' "
                               "IDENTIFIED BY %s", (password,))
                cursor.execute("ALTER USER 'os_probe'@'%%' IDENTIFIED BY %s",
                               (password,))
        elif manager_name == 'postgresql':
            from trove.guestagent.datastore.postgresql import sql
            with admin.cursor() as cursor:
                cursor.execute('SELECT 1 FROM pg_roles WHERE rolname = %s',
                               (PROBE_USER,))
                verb = 'ALTER' if cursor.fetchone() else 'CREATE'
                cursor.execute(sql.SQL(
                    verb + ' ROLE {} LOGIN PASSWORD {}').format(
                        sql.Identifier(PROBE_USER), sql.Literal(password)))
        else:
            return False
    except Exception as error:     # probes still work with a refusal
        LOG.warning('Could not create the %s account: %s', PROBE_USER, error)
        return False
    LOG.info('The %s account is ready', PROBE_USER)
    return True
