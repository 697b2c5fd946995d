"""Loopback addresses of local instances, one per instance.

An address is in use while an instance directory's ``server.json``
names it; removing the directory releases it. Allocation scans those
files under an exclusive ``flock`` on ``<instances_dir>/.address.lock``,
held until the caller has written the new ``server.json``, so two
allocations (threads or processes) never hand out the same address. An
address where something already listens on the datastore's standard
port (a server outside our control) is skipped.
"""

import errno
import ipaddress
import os
import socket

from oslo_log import log as logging

from trove.common import exception
from trove.compute.local import layout, processes
from trove.conf import CONF

LOG = logging.getLogger(__name__)

LOCK_NAME = '.address.lock'

# Used when the datastore has no option group of its own.
STANDARD_PORTS = {'mysql': 3306, 'mariadb': 3306, 'percona': 3306,
                  'postgresql': 5432, 'redis': 6379}


def standard_port(datastore_manager):
    """The engine's standard port: the first of ``[<manager>] tcp_ports``."""
    try:
        ports = CONF.get(datastore_manager).tcp_ports
        if ports:
            return int(ports[0])
    except Exception:   # no such group or option: fall back to the table
        pass
    return STANDARD_PORTS.get(datastore_manager)


def allocation_lock(instances_dir):
    """Exclusive lock over address allocation in ``instances_dir``."""
    return layout.file_lock(instances_dir, LOCK_NAME)


def addresses_in_use(instances_dir):
    """Addresses named by the server records of existing instances."""
    used = set()
    for instance_dir in processes.instance_dirs(instances_dir):
        try:
            record = layout.read_json(os.path.join(instance_dir,
                                                   'server.json'))
        except exception.ComputeError:
            record = None
        if record and record.get('address'):
            used.add(record['address'])
    return used


def candidate_addresses(pool):
    """Host addresses of the pool in order, skipping .0 and .255 hosts
    (some tools take them for network or broadcast addresses)."""
    network = ipaddress.ip_network(pool, strict=False)
    for address in network.hosts():
        last_octet = int(address) & 0xff
        if last_octet in (0, 255):
            continue
        yield str(address)


def port_is_free(address, port):
    """Whether an engine could listen on ``address:port`` right now."""
    if not port:
        return True
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # Like the engines themselves: a port in TIME_WAIT is usable.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return False
            raise exception.ComputeError(
                reason='address %s from [local] address_pool cannot be '
                       'used: %s' % (address, error)) from error
    return True


def pick_address(instances_dir, pool, port):
    """The first free address of the pool; call under allocation_lock."""
    used = addresses_in_use(instances_dir)
    busy = 0
    for address in candidate_addresses(pool):
        if address in used:
            continue
        if not port_is_free(address, port):
            LOG.warning('Skipping %s: something outside trove listens on '
                        'port %s there', address, port)
            busy += 1
            continue
        return address
    reason = ('no free address is left in [local] address_pool %s (%d used '
              'by instances' % (pool, len(used)))
    if busy:
        # Typically a server listening on 0.0.0.0 at the standard port.
        reason += ', %d taken by other servers listening on port %s' % (
            busy, port)
    raise exception.ComputeError(reason=reason + ')')
