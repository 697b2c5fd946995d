"""What a guest agent process loads: only what it uses.

There is one agent per instance, so every module it imports costs memory
once per instance (issue 26: an agent under 40 MB RSS). The agent's entry
point is imported in a fresh interpreter, its datastore's manager loaded
as ``load_manager`` does, and ``sys.modules`` read: no control-plane
library (the .importlinter contract "guest-agent-libraries" checks the
imports written in trove; this checks what really loads, libraries'
own imports included), no dnspython, and no other datastore's driver.
"""

import json
import os
import subprocess
import sys

import pytest

# psycopg: the agent's PostgreSQL client is its own (postgresql.wire).
CONTROL_PLANE_LIBRARIES = ('sqlalchemy', 'oslo_db', 'alembic', 'oslo_policy',
                           'keystonemiddleware', 'webob', 'routes', 'psycopg',
                           'psycopg_binary', 'psycopg_c', 'pg8000')

# Each datastore's agent and the driver of the other datastore's engine.
OTHER_DRIVER = {'mariadb': 'psycopg', 'postgresql': 'pymysql'}

# What only the control plane's messaging loads: the agent has its own
# RPC (trove.common.amqp_rpc) and Fernet (trove.common.fernet_tokens).
CONTROL_PLANE_MESSAGING = ('oslo_messaging', 'kombu', 'eventlet',
                           'oslo_service')

PROBE = '''
import json, sys
from trove.common import messaging_stack
messaging_stack.use_agent_stack()   # as trove-guestagent's main does
import trove.cmd.guest
from trove.cmd import common, service_runner
from trove.common import rpc, sealed_messages
from trove.common.amqp_rpc import client, server
from trove.conductor import api as conductor_api
from trove.guestagent import service
from oslo_utils import importutils
from trove.common import datastore_registry
importutils.import_class(datastore_registry.manager_class(sys.argv[1]))
print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))
'''


def loaded_packages(datastore):
    env = dict(os.environ)
    # trove itself must set it (no green DNS resolver, no dnspython).
    env.pop('EVENTLET_NO_GREENDNS', None)
    result = subprocess.run([sys.executable, '-c', PROBE, datastore],
                            capture_output=True, text=True, env=env,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.splitlines()[-1]))


@pytest.mark.parametrize('datastore', sorted(OTHER_DRIVER))
def test_an_agent_loads_no_control_plane_library(datastore):
    loaded = loaded_packages(datastore)
    assert 'trove' in loaded
    assert not loaded & set(CONTROL_PLANE_LIBRARIES), sorted(
        loaded & set(CONTROL_PLANE_LIBRARIES))
    assert 'dns' not in loaded
    assert OTHER_DRIVER[datastore] not in loaded


@pytest.mark.parametrize('datastore', sorted(OTHER_DRIVER))
def test_an_agent_loads_no_oslo_messaging(datastore):
    loaded = loaded_packages(datastore)
    assert 'amqp' in loaded
    assert not loaded & set(CONTROL_PLANE_MESSAGING), sorted(
        loaded & set(CONTROL_PLANE_MESSAGING))


def test_a_mariadb_agent_loads_no_cryptography():
    """PyMySQL is imported without its RSA authentication and messages
    are sealed with the libcrypto Python maps
    (trove.guestagent.datastore.mysql_common.driver)."""
    assert 'cryptography' not in loaded_packages('mariadb')
