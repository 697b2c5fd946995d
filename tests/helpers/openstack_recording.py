"""Recorded OpenStack HTTP exchanges: made against the real stack, replayed
in fast tests.

``Recorder`` hooks a keystoneauth session (through the requests session it
wraps), so every request a client makes (novaclient, cinderclient, the
openstack provider) and the real answer are kept: method, URL, JSON
body, status, the headers that carry meaning (microversions, Location,
the subject token) and the JSON answer. ``save`` writes them as a small
JSON fixture with ports replaced by service names (``http://compute.test``)
and tokens and passwords replaced by placeholders, so the file is stable
across runs and holds no secret.

``replay_session`` gives a keystoneauth session whose transport answers
from such a file: each request gets the next recorded answer for its
method and URL, in the recorded order (a poll stops on the same answer it
stopped on when recorded; the last answer repeats once they run out),
and every request is kept in ``adapter.requests`` for a test to check
what a client sent. A request that was never recorded gets a 501
whose body says so, and is listed in ``adapter.unmatched``.
"""

import copy
import json
import re
import urllib.parse

import requests
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

TOKEN = 'recorded-token'
KEPT_HEADERS = ('content-type', 'openstack-api-version',
                'x-openstack-nova-api-version', 'location',
                'x-subject-token')
AUTH_PATH = '/v3/auth/tokens'


class Recorder:

    def __init__(self, endpoints):
        """``endpoints``: {service type: URL} of the stack (its catalog)."""
        self.exchanges = []
        self._hosts = {}
        for service_type, url in endpoints.items():
            netloc = urllib.parse.urlsplit(url).netloc
            self._hosts.setdefault(netloc, service_type + '.test')

    def requests_session(self):
        session = requests.Session()
        session.hooks['response'].append(self._record)
        return session

    def session(self, auth):
        """A keystoneauth session over a recording transport."""
        return ks_session.Session(auth=auth, session=self.requests_session())

    def _record(self, response, *args, **kwargs):
        request = response.request
        path = urllib.parse.urlsplit(request.url).path
        self.exchanges.append({
            'method': request.method,
            'url': self._normalize(request.url),
            'request': None if path.endswith(AUTH_PATH)
            else _json_or_size(request.body),
            'status': response.status_code,
            'headers': {name: self._normalize(value)
                        for name, value in response.headers.items()
                        if name.lower() in KEPT_HEADERS},
            'body': self._normalize_json(_json_or_size(response.content)),
        })
        return response

    def _normalize(self, text):
        if not isinstance(text, str):
            return text
        for netloc, name in self._hosts.items():
            text = text.replace('http://' + netloc, 'http://' + name)
        return text

    def _normalize_json(self, value):
        if isinstance(value, dict):
            return {key: self._normalize_json(item)
                    for key, item in value.items()}
        if isinstance(value, list):
            return [self._normalize_json(item) for item in value]
        return self._normalize(value)

    def save(self, path, note='', observed=None, context=None):
        """Write the fixture; ``observed`` is what the recorded client saw
        (a replay must see the same), ``context`` what the scenario was
        given (ids, resources)."""
        data = {'note': note, 'observed': normalized(observed),
                'context': context, 'exchanges': _scrub(self.exchanges)}
        # Compact, one exchange a line: small, and a re-recording diffs
        # line by line.
        lines = [json.dumps(exchange, sort_keys=True, separators=(',', ':'))
                 for exchange in data['exchanges']]
        head = {key: value for key, value in data.items()
                if key != 'exchanges'}
        with open(path, 'w') as written:
            written.write(json.dumps(head, sort_keys=True)[:-1])
            written.write(', "exchanges": [\n' + ',\n'.join(lines) +
                          '\n]}\n')
        return data


def normalized(value):
    """``value`` as it reads back from a fixture (tuples become lists)."""
    return json.loads(json.dumps(value))


def _json_or_size(content):
    if content is None or content == b'' or content == '':
        return None
    if isinstance(content, bytes):
        try:
            content = content.decode('utf-8')
        except UnicodeDecodeError:
            return {'binary bytes': len(content)}
    try:
        return json.loads(content)
    except ValueError:
        return {'text': content[:2000]}


_TOKEN_PATTERN = re.compile(r'gAAAA[A-Za-z0-9_\-=]{40,}')


# Response fields a client never reads back, but which weigh kilobytes:
# user_data (the request that sent it keeps it) and fault tracebacks.
ELIDED_FIELDS = ('OS-EXT-SRV-ATTR:user_data',)
TRIMMED_FIELDS = {'details': 200}


def _trim(value):
    if isinstance(value, dict):
        trimmed = {}
        for key, item in value.items():
            if key in ELIDED_FIELDS and item:
                item = '(elided)'
            elif key in TRIMMED_FIELDS and isinstance(item, str):
                item = item[:TRIMMED_FIELDS[key]]
            trimmed[key] = _trim(item)
        return trimmed
    if isinstance(value, list):
        return [_trim(item) for item in value]
    return value


def _scrub(exchanges):
    """No tokens, no catalog noise: only what replay needs."""
    scrubbed = copy.deepcopy(exchanges)
    for exchange in scrubbed:
        exchange['body'] = _trim(exchange['body'])
        headers = exchange['headers']
        for name in list(headers):
            if name.lower() == 'x-subject-token':
                headers[name] = TOKEN
        if exchange['url'].endswith(AUTH_PATH) and isinstance(
                exchange['body'], dict):
            token = exchange['body'].get('token', {})
            for key in ('audit_ids', 'methods', 'is_domain'):
                token.pop(key, None)
            # Only the recorded services: the rest of the catalog (a
            # database endpoint on a random port...) is noise.
            token['catalog'] = [
                service for service in token.get('catalog', [])
                if all('.test' in endpoint['url']
                       for endpoint in service['endpoints'])]
    text = _TOKEN_PATTERN.sub(TOKEN, json.dumps(scrubbed))
    return json.loads(text)


class ReplayAdapter(requests.adapters.BaseAdapter):
    """A transport answering from recorded exchanges."""

    def __init__(self, exchanges):
        super().__init__()
        self._pending = {}
        for exchange in exchanges:
            key = (exchange['method'], exchange['url'])
            self._pending.setdefault(key, []).append(exchange)
        self._last = {}
        self.requests = []
        self.unmatched = []

    def send(self, request, **kwargs):
        key = (request.method, request.url)
        body = None
        if not urllib.parse.urlsplit(request.url).path.endswith(AUTH_PATH):
            body = _json_or_size(request.body)
        self.requests.append({'method': request.method, 'url': request.url,
                              'json': body, 'headers': dict(request.headers)})
        queue = self._pending.get(key)
        if queue:
            exchange = queue.pop(0)
            self._last[key] = exchange
        elif key in self._last:
            exchange = self._last[key]
        else:
            self.unmatched.append(key)
            exchange = {'status': 501, 'headers': {
                'Content-Type': 'application/json'}, 'body': {
                    'error': 'not recorded: %s %s' % key}}
        return _response(request, exchange)

    def close(self):
        pass


def _response(request, exchange):
    response = requests.Response()
    response.status_code = exchange['status']
    response.headers.update(exchange['headers'])
    body = exchange['body']
    if body is None:
        response._content = b''
    elif isinstance(body, dict) and set(body) == {'text'}:
        response._content = body['text'].encode()
    else:
        response._content = json.dumps(body).encode()
    response.url = request.url
    response.request = request
    response.reason = 'Recorded'
    return response


def load(path):
    """(exchanges, observed) of a fixture file."""
    data = load_all(path)
    return data['exchanges'], data.get('observed')


def load_all(path):
    with open(path) as stored:
        return json.load(stored)


def replay_session(exchanges, auth_url='http://identity.test/v3/'):
    """(keystoneauth session, adapter) answering from ``exchanges``."""
    adapter = ReplayAdapter(exchanges)
    transport = requests.Session()
    transport.mount('http://', adapter)
    auth = v3.Password(auth_url=auth_url, username='trove',
                       password='recorded', project_name='service',
                       user_domain_id='default', project_domain_id='default')
    return ks_session.Session(auth=auth, session=transport), adapter
