"""A real conductor for guest agent tests: RPC on a private vhost, SQLite."""

import pytest
import sqlalchemy as sa

from tests.helpers import rabbit
from trove.common import rpc
from trove.common import service
from trove.conductor import manager as conductor_manager
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import migration


@pytest.fixture(scope='module')
def conductor(tmp_path_factory):
    """The conductor consuming ``trove-conductor`` over a throwaway
    control DB, on a vhost of its own (another conductor consuming the
    topic would take half of the agents' reports); yields the transport
    URL agents must use."""
    with rabbit.private_transport_url() as transport_url:
        yield from _conductor(transport_url, tmp_path_factory)


def _conductor(rabbit_transport_url, tmp_path_factory):
    url = 'sqlite:///%s' % (tmp_path_factory.mktemp('control') /
                            'trove.sqlite')
    engine = sa.create_engine(url)
    try:
        migration.upgrade(engine)
    finally:
        engine.dispose()
    db_api.configure(url)
    # Creating a transport registers transport_url (nothing connects yet).
    rpc.get_transport()
    rpc.cleanup()
    CONF.set_override('transport_url', rabbit_transport_url)
    # Declaring the queue also registers the executor options.
    rpc.declare_queue(CONF.conductor_queue, 'guest-tests')
    # One message at a time: concurrent conductor writes on SQLite can
    # fail with "database is locked" (a read-then-write transaction that
    # loses the race is not retried); these tests are about the agent.
    CONF.set_override('executor_thread_pool_size', 1)
    rpc_service = service.RpcService(CONF.conductor_queue, 'guest-tests',
                                     [conductor_manager.Manager()])
    rpc_service.start()
    try:
        yield rabbit_transport_url
    finally:
        rpc_service.stop()
        rpc.cleanup()
        CONF.clear_override('transport_url')
        CONF.clear_override('executor_thread_pool_size')
        db_api.configure()
