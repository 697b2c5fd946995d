"""The OpenStack services in the test stack's Keystone: users and catalog.

At template build every service gets a user of its own in the ``service``
project (roles admin and service, as a cloud's services have) and its
catalog entries. A bring-up from the template happens on other ports, so
``rewrite_endpoint_ports`` points the copied catalog at them by editing
Keystone's SQLite database before Keystone starts: seven services times
three interfaces through the API would cost ~10 s per bring-up.

Nothing here starts Keystone or knows about the other services' configs.
"""

import contextlib
import sqlite3

from trove.localenv.openstack import configs

# service name, service type, URL template (filled with the ports).
CATALOG = (
    ('placement', 'placement', 'http://127.0.0.1:{placement}'),
    ('glance', 'image', 'http://127.0.0.1:{glance}'),
    ('nova', 'compute', 'http://127.0.0.1:{nova}/v2.1'),
    ('neutron', 'network', 'http://127.0.0.1:{neutron}'),
    ('cinderv3', 'volumev3',
     'http://127.0.0.1:{cinder}/v3/$(project_id)s'),
    ('cinder', 'block-storage',
     'http://127.0.0.1:{cinder}/v3/$(project_id)s'),
    ('keystone', 'identity', 'http://127.0.0.1:{keystone}/v3/'),
)
SERVICE_ROLES = ('admin', 'service')


def endpoint_urls(ports):
    """{service type: URL} of the stack's services on ``ports``."""
    return {service_type: template.format(**ports)
            for _name, service_type, template in CATALOG}


def register_services(admin, passwords, ports):
    """Create the service users and catalog entries (``admin`` is a
    trove.localenv.keystone.AdminClient); idempotent."""
    project_id = admin.find('projects', configs.SERVICE_PROJECT)
    roles = {name: admin.ensure('roles', name) for name in SERVICE_ROLES}
    for user in configs.SERVICE_USERS:
        user_id = admin.ensure_user(user, passwords[user], project_id)
        for role_id in roles.values():
            admin.assign(project_id, user_id, role_id)
    urls = endpoint_urls(ports)
    for name, service_type, _template in CATALOG:
        if service_type == 'identity':
            continue  # keystone-manage bootstrap made it
        service_id = admin.ensure_service(name, service_type)
        for interface in ('public', 'internal', 'admin'):
            admin.ensure_endpoint(service_id, interface, urls[service_type])


def rewrite_endpoint_ports(keystone_db_path, ports):
    """Point the stack's catalog entries at ``ports`` (Keystone stopped)."""
    urls = endpoint_urls(ports)
    with contextlib.closing(sqlite3.connect(keystone_db_path)) as db:
        with db:
            for service_type, url in urls.items():
                db.execute('UPDATE endpoint SET url = ? WHERE service_id IN '
                           '(SELECT id FROM service WHERE type = ?)',
                           (url, service_type))
