"""When the OpenStack test stack is ready to be used, with deadlines.

Ready means every API answers and every RPC service (Nova's conductor,
scheduler and compute, Cinder's scheduler and volume) has reported itself
up *since this bring-up began*: a template copied from an earlier run
holds service records that look fresh for up to a minute. A process that
dies while we wait fails the wait at once, with the tail of its log.

Nothing here starts or stops a process.
"""

import concurrent.futures
import datetime
import time

from trove.common import daemon
from trove.localenv import external
from trove.localenv.openstack import resources

NOVA_SERVICES = ('nova-conductor', 'nova-scheduler', 'nova-compute')
CINDER_SERVICES = ('cinder-scheduler', 'cinder-volume')


def _check_alive(table, names):
    for name in names:
        if not daemon.is_running(table.pid_path(name)):
            raise external.ExternalServiceError(
                '%s exited during start:\n%s'
                % (name, external.log_tail(table.log_path(name), 30)))


def _wait(predicate, timeout, what, table, names, interval=0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _check_alive(table, names)
        if predicate():
            return
        time.sleep(interval)
    raise external.ExternalServiceError(
        'the OpenStack stack was not ready within %ss: %s' % (timeout, what()))


def wait_for_apis(ctx, table, timeout):
    """Until Keystone and every service's API answer HTTP."""
    urls = {'keystone': ctx.auth_url}
    urls.update({process.name: process.health_url
                 for process in table.processes() if process.health_url})
    waiting = dict(urls)

    def all_answer():
        for name, url in list(waiting.items()):
            # A gunicorn master accepts connections before its worker has
            # loaded the application: a short timeout keeps one slow API
            # from hiding the others.
            if external.http_answers(url, timeout=1):
                del waiting[name]
        return not waiting
    _wait(all_answer, timeout, lambda: 'no answer from %s' % sorted(waiting),
          table, [name for name in urls if name != 'keystone'])


def wait_for_log_line(table, name, text, timeout):
    """Until the log of process ``name`` has a line containing ``text``."""
    path = table.log_path(name)

    def logged():
        try:
            with open(path, errors='replace') as log:
                return text in log.read()
        except OSError:
            return False
    _wait(logged, timeout, lambda: '%s never logged %r' % (name, text),
          table, (name,))


def _admin_session(stack):
    identity = stack.keystone.load_identity()
    return resources.admin_session(identity.auth_url, identity.admin)


def _parse_time(value):
    if not value:
        return None
    value = value.replace('Z', '').split('+')[0]
    return datetime.datetime.fromisoformat(value)


def _fresh_services(session, service_type, path, since):
    response = session.get(path, endpoint_filter={
        'service_type': service_type, 'interface': 'public'},
        raise_exc=False)
    if response.status_code != 200:
        return set()
    fresh = set()
    for service in response.json().get('services', []):
        updated = _parse_time(service.get('updated_at'))
        if service.get('state') == 'up' and updated and updated >= since:
            fresh.add(service['binary'])
    return fresh


def wait_for_services(stack, timeout):
    """Until Nova's and Cinder's RPC services report up since the start."""
    # Service records carry naive UTC timestamps with whole seconds.
    since = stack.start_utc.replace(microsecond=0, tzinfo=None)
    session = _admin_session(stack)
    missing = set(NOVA_SERVICES + CINDER_SERVICES)

    def all_up():
        up = _fresh_services(session, 'compute', '/os-services', since)
        up |= _fresh_services(session, 'volumev3', '/os-services', since)
        missing.clear()
        missing.update(set(NOVA_SERVICES + CINDER_SERVICES) - up)
        return not missing
    table = stack.processes
    _wait(all_up, timeout, lambda: 'not reported up: %s' % sorted(missing),
          table, NOVA_SERVICES + CINDER_SERVICES, interval=1.0)


# One authenticated read per API: each service's first request loads its
# policies, token middleware and plugins (4-9 s for Neutron and Nova on
# this machine), which is better paid during the bring-up than by a test.
WARM_UP_READS = (
    ('compute', '/servers/detail'), ('compute', '/flavors/detail'),
    ('image', '/v2/images'), ('network', '/v2.0/networks'),
    ('network', '/v2.0/security-groups'), ('volumev3', '/volumes/detail'),
    ('placement', '/resource_providers'),
)


def warm_up(stack):
    """Make each API's first (slow) request now, all at once."""
    session = _admin_session(stack)

    def read(call):
        service_type, path = call
        session.get(path, endpoint_filter={'service_type': service_type,
                                           'interface': 'public'},
                    raise_exc=False)
    with concurrent.futures.ThreadPoolExecutor(len(WARM_UP_READS)) as pool:
        list(pool.map(read, WARM_UP_READS))


def wait_for_compute_host(stack, timeout):
    """Until nova-compute has put its node in Placement (template build)."""
    session = _admin_session(stack)

    def has_provider():
        response = session.get('/resource_providers', endpoint_filter={
            'service_type': 'placement', 'interface': 'public'},
            raise_exc=False)
        return (response.status_code == 200 and
                bool(response.json().get('resource_providers')))
    _wait(has_provider, timeout, lambda: 'no compute node in Placement',
          stack.processes, ('nova-compute',))
