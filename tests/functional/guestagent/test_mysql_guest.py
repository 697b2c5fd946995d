"""The mysql datastore needs a real MySQL server on the host."""

import pytest

from tests.functional.guestagent import utils
from tests.helpers import processes
from trove.common import engines

pytestmark = [
    pytest.mark.functional,
    pytest.mark.skipif(engines.find_mysql() is not None,
                       reason='a real MySQL server is installed'),
]


def test_prepare_without_mysql_server_fails_with_reason(world_tmp_dir,
                                                        conductor):
    instance = utils.GuestInstance(world_tmp_dir, 'mysql', conductor)
    instance.create_records()
    try:
        instance.prepare(utils.render_config('mysql'))
        instance.start_agent()
        instance.wait_status('failed to spawn')
        message, _details = processes.wait_until(instance.fault, timeout=30)
        assert 'MySQL server' in message and 'mariadb' in message, message
        assert not list(instance.run.glob('mysqld.pid'))
    finally:
        instance.cleanup()
