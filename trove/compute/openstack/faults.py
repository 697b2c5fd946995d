"""Nova, Cinder and Neutron failures as messages a user can act on.

An instance fault is read by the person who asked for the instance, who
cannot see the service project's quotas or Nova's scheduler logs. Each
known failure becomes a sentence saying what happened and what to do
(pick another flavor, ask the operator to raise a quota or fix the
datastore version's image), with the service's own words kept at the end
for the operator. Unknown failures keep the service's message.

This module only formats; it calls no service.
"""

import re

from trove.common import exception

MAX_DETAIL = 200

# (pattern on the service's message, what the user reads). Checked in
# order; %(detail)s is the service's message, %(what)s names the object.
NOVA_PATTERNS = (
    (re.compile(r'No valid host was found|Exceeded maximum number of '
                r'retries', re.I),
     'No compute host can run this instance: no host has room for its '
     'flavor, or its availability zone or locality policy cannot be met '
     '(anti-affinity needs a host per member). Choose a smaller flavor, '
     'another zone or another locality, or ask the operator to add '
     'capacity.'),
    (re.compile(r'Quota exceeded for (\w+)', re.I),
     'The cloud quota of the Trove service project is used up '
     '(%(detail)s). Ask the operator to raise it, or delete instances you '
     'no longer need.'),
    (re.compile(r'Can not find requested image|Image .* could not be found'
                r'|Image .* is not active', re.I),
     'The image of this datastore version is missing or not active in '
     'Glance. Ask the operator to update the datastore version\'s image.'),
    (re.compile(r'Flavor .* could not be found', re.I),
     'Flavor %(what)s does not exist in Nova. Choose one listed by '
     '"openstack database flavor list".'),
    (re.compile(r'disk is too small for requested image|'
                r'smaller than the minimum', re.I),
     'Flavor %(what)s is too small for the datastore\'s image. Choose a '
     'flavor with a larger disk.'),
    (re.compile(r'availability zone', re.I),
     'Availability zone %(what)s cannot be used (%(detail)s). Choose a '
     'zone listed by "openstack availability zone list".'),
    (re.compile(r'Network .* could not be found|requested network', re.I),
     'A network of the request does not exist or cannot be used '
     '(%(detail)s). Check the "nics" of the request.'),
    (re.compile(r'Volume .* (did not finish being created|could not be '
                r'found)|Block Device Mapping', re.I),
     'The data volume could not be attached to the server (%(detail)s). '
     'Try again; if it fails again ask the operator.'),
)

CINDER_PATTERNS = (
    (re.compile(r'exceeds allowed gigabytes quota|VolumeLimitExceeded|'
                r'Maximum number of volumes allowed', re.I),
     'The volume quota of the Trove service project is used up '
     '(%(detail)s). Ask the operator to raise it, or delete instances you '
     'no longer need.'),
    (re.compile(r'No valid backend|Could not find any available weighted '
                r'backend|schedule allocate volume', re.I),
     'No storage backend can hold a volume of %(what)s: the cloud is out '
     'of space or the volume type cannot be served. Choose a smaller size '
     'or another volume type, or ask the operator to add capacity.'),
    (re.compile(r'Volume type .* (could not be found|not found)', re.I),
     'Volume type %(what)s does not exist. Choose one listed by '
     '"openstack volume type list".'),
    (re.compile(r'New size for extend must be greater|Invalid input for '
                r'field/attribute new_size', re.I),
     'A volume can only grow: ask for a size larger than %(what)s GB.'),
)

NEUTRON_PATTERNS = (
    (re.compile(r'Quota exceeded for resources', re.I),
     'The network quota of the Trove service project is used up '
     '(%(detail)s). Ask the operator to raise it.'),
    (re.compile(r'Network .* could not be found', re.I),
     'Network %(what)s does not exist. Check the "nics" of the request.'),
    (re.compile(r'No more IP addresses available', re.I),
     'Network %(what)s has no free address left. Choose another network '
     'or ask its owner to widen the subnet.'),
    (re.compile(r'IP address .* already allocated', re.I),
     'The fixed IP asked for is already in use (%(detail)s). Choose '
     'another address.'),
)


def _detail(message):
    message = ' '.join(str(message or '').split())
    if len(message) > MAX_DETAIL:
        message = message[:MAX_DETAIL - 3] + '...'
    return message


def explain(patterns, message, what='', service='The cloud'):
    """The user's sentence for a service's ``message``."""
    detail = _detail(message)
    for pattern, text in patterns:
        if pattern.search(detail):
            return text % {'detail': detail, 'what': what}
    return '%s refused the request: %s' % (service, detail or 'no reason '
                                           'was given')


def server_fault(fault, flavor_name=''):
    """The fault of a Nova server in ERROR (its ``fault`` dict)."""
    fault = fault or {}
    message = fault.get('message') or ''
    if not message:
        return ('Nova put the server in ERROR without saying why; ask the '
                'operator to look at the Nova logs.')
    return explain(NOVA_PATTERNS, message, flavor_name, 'Nova')


def nova_error(error, what=''):
    """ComputeError for a novaclient exception."""
    return exception.ComputeError(explain(
        NOVA_PATTERNS, _message(error), what, 'Nova'))


def cinder_error(error, what=''):
    return exception.ComputeError(explain(
        CINDER_PATTERNS, _message(error), what, 'Cinder'))


def neutron_error(error, what=''):
    return exception.ComputeError(explain(
        NEUTRON_PATTERNS, _message(error), what, 'Neutron'))


def volume_in_error(volume_id, size, user_messages=()):
    """A volume that went to ``error``: Cinder's user messages (3.3+) say
    why; without them, a sentence that still says what to do."""
    reasons = '; '.join(_detail(m) for m in user_messages if m)
    if reasons:
        return explain(CINDER_PATTERNS, reasons, '%s GB' % size, 'Cinder')
    return ('Cinder could not create the %s GB data volume %s. Try again; '
            'if it fails again ask the operator.' % (size, volume_id))


def _message(error):
    for attribute in ('message', 'details'):
        value = getattr(error, attribute, None)
        if value:
            return str(value)
    return str(error)
