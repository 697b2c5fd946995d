"""Which version numbers an upgrade may go to: the API's ordering and the
guest's "same release" rule."""

import pytest

from trove.guestagent.datastore import upgrade as guest_upgrade
from trove.instance import upgrade as api_upgrade


@pytest.mark.parametrize('older, newer', [
    ('10.11.6', '10.11.99'), ('10.6', '10.11'), ('15', '15.99'),
    ('9.6.24', '15.1'), ('0', '15')])
def test_version_order(older, newer):
    assert api_upgrade.version_key(older) < api_upgrade.version_key(newer)


@pytest.mark.parametrize('manager, installed, wanted, same', [
    ('mariadb', '10.11.6', '10.11.99', True),
    ('mariadb', '10.11.6', '11.4.2', False),
    ('mariadb', '10.11.6', '10.6.1', False),
    ('postgresql', '15.8', '15.99', True),
    ('postgresql', '15.8', '16.1', False),
])
def test_release_rule(manager, installed, wanted, same):
    assert (guest_upgrade.release(manager, installed)
            == guest_upgrade.release(manager, wanted)) is same
