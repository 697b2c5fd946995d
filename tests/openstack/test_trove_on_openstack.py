"""An instance's whole life on the real stack, through Trove's API.

Alice (project alpha) asks for a MariaDB instance on her network with a
1 GB volume, as ``openstack database instance create`` does. The
taskmanager must make a Nova server in the service project from the
image tagged for the datastore version, a Cinder volume attached to it,
a port on her network and one on the management network, and the
instance's security group. The test plays the hypervisor
(trove.localenv.openstack.hypervisor): it reads the server's user-data
back from Nova, writes the files as cloud-init would and starts the
guest agent, whose engine listens on the server's address. Then: the
instance is ACTIVE and HEALTHY, a SQL login works at the address the API
shows, resize volume extends the Cinder volume, resize flavor resizes
the Nova server, a backup lands in alice's own Swift account, and delete
removes the server, the volume, the ports and the security group.
"""

import contextlib
import time

import pymysql
import pytest
import swiftclient
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from novaclient import exceptions as nova_exceptions
from troveclient.v1 import client as trove_client

from tests.e2e import system as e2e
from tests.e2e.test_backup_restore import wait_backup
from tests.helpers import identity as identity_helpers
from tests.helpers import rabbit
from tests.helpers.processes import wait_until
from tests.openstack.trove_system import HypervisorThread, OpenStackTroveSystem
from trove.compute.openstack import clients, networks
from trove.localenv import keystone

pytestmark = pytest.mark.openstack

USER, PASSWORD, DATABASE = 'app', 'app-pass-1', 'appdb'
TIMEOUT = 240


@pytest.fixture(scope='module')
def deployment(openstack_stack):
    base_dir = identity_helpers.world_readable_temp_dir('trove-on-os-')
    hypervisor = None
    with rabbit.private_transport_url() as transport_url:
        system = OpenStackTroveSystem(base_dir, openstack_stack,
                                      transport_url)
        try:
            system.up()
            hypervisor = HypervisorThread(base_dir + '/servers',
                                          openstack_stack).start()
            system.hypervisor = hypervisor
            yield system
        finally:
            if hypervisor is not None:
                hypervisor.stop()
            system.down()
            import shutil
            shutil.rmtree(base_dir, ignore_errors=True)


def _alice_client(openstack_stack):
    alice = openstack_stack.identity.users['alice']
    auth = v3.Password(auth_url=openstack_stack.identity.auth_url,
                       username=alice.username, password=alice.password,
                       project_name=alice.project_name,
                       user_domain_id='default', project_domain_id='default')
    return trove_client.Client(session=ks_session.Session(auth=auth))


@contextlib.contextmanager
def _sql(address):
    connection = pymysql.connect(host=address, port=3306, user=USER,
                                 password=PASSWORD, database=DATABASE,
                                 connect_timeout=10, autocommit=True)
    try:
        yield connection.cursor()
    finally:
        connection.close()


def _wait(client, instance_id, deployment, statuses=('ACTIVE',)):
    try:
        return e2e.wait_for_instance(client, instance_id, statuses=statuses,
                                     timeout=TIMEOUT, system=deployment)
    except AssertionError:
        deployment.hypervisor.check()
        raise


def test_instance_lifecycle_on_nova_cinder_neutron_and_swift(
        deployment, openstack_stack):
    trove = _alice_client(openstack_stack)
    resources = openstack_stack.resources
    nova = clients.nova(openstack_stack.session('trove'))
    cinder = clients.cinder(openstack_stack.session('trove'))
    sdk = clients.sdk(openstack_stack.session('trove'))
    timings = {}
    started = time.monotonic()

    created = trove.instances.create(
        'alice-on-openstack', flavor_id=resources.flavors['trove.small'],
        volume={'size': 1}, datastore='mariadb',
        nics=[{'net-id': resources.user_network_id}],
        databases=[{'name': DATABASE}],
        users=[{'name': USER, 'password': PASSWORD,
                'databases': [{'name': DATABASE}]}])

    # The server and its volume, in the service project.
    [server] = wait_until(lambda: nova.servers.list(search_opts={
        'tags': 'trove_instance_id_%s' % created.id}), timeout=60)
    assert 'trove_mariadb' in server.tags
    instance = _wait(trove, created.id, deployment)
    timings['create'] = time.monotonic() - started
    assert instance.status == 'ACTIVE'
    server = nova.servers.get(server.id)
    assert server.status == 'ACTIVE'
    attached = getattr(server, 'os-extended-volumes:volumes_attached')
    volume = cinder.volumes.get(attached[0]['id'])
    assert (volume.status, volume.size) == ('in-use', 1)
    assert volume.name == 'trove-%s' % created.id
    ports = list(sdk.network.ports(name='trove-%s' % created.id))
    assert sorted(port.network_id for port in ports) == sorted(
        [resources.user_network_id, resources.management_network_id])
    [group] = list(sdk.network.security_groups(
        name=networks.security_group_name(created.id)))
    assert 3306 in [rule['port_range_min'] for rule in
                    group.security_group_rules]
    # The address shown is the one on alice's network, where the engine
    # listens.
    [address] = [a['address'] for a in instance.addresses
                 if a['type'] == 'private']
    user_port = next(p for p in ports
                     if p.network_id == resources.user_network_id)
    assert address == user_port.fixed_ips[0]['ip_address']
    wait_until(lambda: trove.instances.get(created.id).operating_status ==
               'HEALTHY', timeout=60)
    with _sql(address) as cursor:
        cursor.execute('CREATE TABLE t (v INT)')
        cursor.execute('INSERT INTO t VALUES (42)')

    started = time.monotonic()
    trove.instances.resize_volume(created.id, 2)
    wait_until(lambda: cinder.volumes.get(volume.id).size == 2,
               timeout=TIMEOUT)
    instance = _wait(trove, created.id, deployment)
    assert instance.volume['size'] == 2
    timings['resize volume'] = time.monotonic() - started

    started = time.monotonic()
    trove.instances.resize_instance(created.id,
                                    resources.flavors['trove.medium'])
    wait_until(lambda: trove.instances.get(created.id).flavor['id'] ==
               resources.flavors['trove.medium'] and
               trove.instances.get(created.id).status == 'ACTIVE',
               timeout=TIMEOUT)
    assert nova.servers.get(server.id).flavor['original_name'] == \
        'trove.medium'
    with _sql(address) as cursor:
        cursor.execute('SELECT v FROM t')
        assert cursor.fetchall() == ((42,),)
    timings['resize flavor'] = time.monotonic() - started

    started = time.monotonic()
    backup = wait_backup(trove, trove.backups.create(
        'alice-backup', created.id).id, system=deployment, timeout=TIMEOUT)
    alice = openstack_stack.identity.users['alice']
    token = keystone.authenticate(openstack_stack.identity.auth_url,
                                  alice.username, alice.password,
                                  alice.project_name)
    account = token.endpoint('object-store')
    assert account.endswith('/AUTH_%s' % token.project_id)
    assert backup.locationRef.startswith(account + '/database_backups/')
    _headers, objects = swiftclient.get_container(account, token.token,
                                                  'database_backups')
    assert backup.locationRef.rsplit('/', 1)[1] in [o['name']
                                                     for o in objects]
    timings['backup'] = time.monotonic() - started

    started = time.monotonic()
    trove.instances.delete(created.id)
    e2e.wait_for_deleted(trove, created.id, timeout=TIMEOUT)
    with pytest.raises(nova_exceptions.NotFound):
        nova.servers.get(server.id)
    wait_until(lambda: volume.id not in [v.id for v in
                                         cinder.volumes.list()],
               timeout=60)
    assert list(sdk.network.ports(name='trove-%s' % created.id)) == []
    assert list(sdk.network.security_groups(
        name=networks.security_group_name(created.id))) == []
    timings['delete'] = time.monotonic() - started
    deployment.hypervisor.check()
    print('trove on openstack: %s' % {k: round(v, 1)
                                      for k, v in timings.items()})
