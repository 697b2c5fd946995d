"""Provisioning the demo instance through the API, like a user would."""

import json
import time
import urllib.error
import urllib.request

DEMO_NAME = 'demo-mariadb'
DEMO_USER = 'demo'
DEMO_DATABASE = 'demo'


class DemoError(RuntimeError):
    pass


def _request(endpoint, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        endpoint + path, data=data, method=method,
        headers={'Content-Type': 'application/json',
                 'Accept': 'application/json'})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read()
            return json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        raise DemoError('%s %s: %s %s' % (method, path, error.code,
                                          error.read().decode()))


def find_or_create(endpoint, password, flavor='2', size=1,
                   datastore='mariadb'):
    """The demo instance, created if it does not exist yet."""
    instances = _request(endpoint, 'GET', '/instances')['instances']
    for instance in instances:
        if instance['name'] == DEMO_NAME:
            return instance['id'], False
    body = {'instance': {
        'name': DEMO_NAME, 'flavorRef': flavor, 'volume': {'size': size},
        'datastore': {'type': datastore},
        'databases': [{'name': DEMO_DATABASE}],
        'users': [{'name': DEMO_USER, 'password': password,
                   'databases': [{'name': DEMO_DATABASE}]}],
    }}
    created = _request(endpoint, 'POST', '/instances', body)['instance']
    return created['id'], True


def wait_active(endpoint, instance_id, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        instance = _request(endpoint, 'GET',
                            '/instances/%s' % instance_id)['instance']
        if instance['status'] == 'ACTIVE':
            return instance
        if instance['status'] == 'ERROR':
            fault = instance.get('fault', {}).get('message', 'no fault')
            raise DemoError('the demo instance failed: %s' % fault)
        time.sleep(1)
    raise DemoError('the demo instance is not ACTIVE after %ds' % timeout)
