"""Per-instance broker users: the regexes, the URL rewriting, the
management API client, and what the taskmanager writes into the guest's
config (trove.common.broker_users, trove.taskmanager.guest_files)."""

import http.server
import json
import re
import threading
import urllib.parse

import pytest

from trove.common import broker_users
from trove.conf import CONF
from trove.taskmanager import guest_files

ID = '0b1e2d3c-4f5a-4b6c-8d7e-9f0a1b2c3d4e'
OTHER = '11111111-2222-4333-8444-555555555555'


@pytest.fixture
def overrides():
    names = []

    def set_override(name, value):
        names.append(name)
        CONF.set_override(name, value)
    yield set_override
    for name in names:
        CONF.clear_override(name)


def _matches(regex, name):
    return re.search(regex, name) is not None


def test_permissions_name_only_the_instances_resources():
    permissions = broker_users.Permissions(ID, 'trove', 'trove-conductor')
    own = ['guestagent.' + ID, 'guestagent.%s.%s' % (ID, ID),
           'guestagent.%s_fanout' % ID,
           'guestagent.%s_fanout_0123abcd' % ID,
           'reply_0123456789abcdef0123456789abcdef', 'trove']
    others = ['guestagent.' + OTHER, 'guestagent.%s.%s' % (ID, OTHER),
              'guestagent.%s.x' % ID, 'trove-taskmanager',
              'trove-conductor', 'xguestagent.' + ID, 'trove_fanout',
              'guestagent', 'amq.rabbitmq.reply-to', 'troveX']
    reply = 'reply_0123456789abcdef0123456789abcdef'
    for regex in (permissions.configure, permissions.read,
                  permissions.write):
        allowed = [name for name in own
                   if (regex != permissions.write or name != reply)
                   and (regex != permissions.configure or name != 'trove')]
        assert all(_matches(regex, name) for name in allowed), regex
        assert not any(_matches(regex, name) for name in others), regex
    # Its reply queue: declared and consumed, never written to.
    assert not _matches(permissions.write, reply)
    assert not _matches(permissions.write, 'amq.default')
    assert _matches(permissions.write, 'trove_replies')
    assert not _matches(permissions.configure, 'trove_replies')
    # The control exchange: declared passively, never deleted.
    assert not _matches(permissions.configure, 'trove')
    assert not _matches(permissions.read, 'trove_replies')
    assert not _matches(permissions.read, 'amq.default')
    assert not _matches(permissions.configure, 'amq.default')
    # Routing keys on the control exchange.
    assert _matches(permissions.topic_write, 'trove-conductor')
    assert not _matches(permissions.topic_write, 'trove-taskmanager')
    assert not _matches(permissions.topic_write, 'trove-conductorX')
    assert _matches(permissions.topic_read, 'guestagent.' + ID)
    assert _matches(permissions.topic_read, 'guestagent.%s.%s' % (ID, ID))
    assert not _matches(permissions.topic_read, 'guestagent.' + OTHER)
    assert not _matches(permissions.topic_read, 'trove-conductor')


def test_an_id_that_is_not_one_is_refused():
    for bad in ('', '.*', 'a|b', 'x' * 65, 'a)b'):
        with pytest.raises(broker_users.BrokerUserError):
            broker_users.Permissions(bad, 'trove', 'trove-conductor')


def test_urls():
    url = broker_users.with_credentials(
        'rabbit://guest:guest@h1:5672,guest:guest@h2:5673/my%2Fvhost'
        '?ssl=1', 'trove-guest-' + ID, 'p@ss:/word')
    parts = urllib.parse.urlsplit(url)
    assert parts.path == '/my%2Fvhost' and parts.query == 'ssl=1'
    hosts = parts.netloc.split(',')
    assert [host.rpartition('@')[2] for host in hosts] == ['h1:5672',
                                                           'h2:5673']
    assert all(host.startswith('trove-guest-%s:p%%40ss%%3A%%2Fword@' % ID)
               for host in hosts)
    assert broker_users.with_credentials(
        'rabbit://h:5672/', 'u', 'p') == 'rabbit://u:p@h:5672/'
    assert broker_users.vhost_of('rabbit://g:g@h:5672/') == '/'
    assert broker_users.vhost_of('rabbit://g:g@h:5672') == '/'
    assert broker_users.vhost_of('rabbit://g:g@h/my%2Fvhost') == 'my/vhost'


def test_transport_url_replaced_in_the_default_section_only():
    text = ('# comment\n[DEFAULT]\ndebug = true\ntransport_url = '
            'rabbit://guest:guest@h/v\ncontrol_exchange = trove\n\n'
            '[oslo_messaging_notifications]\ntransport_url = keep\n'
            '[DEFAULT]\ntransport_url=rabbit://again@h/v')
    out = guest_files.with_transport_url(text, 'rabbit://u:p@h/v')
    assert out.count('transport_url = rabbit://u:p@h/v') == 1
    assert 'guest:guest' not in out and 'again' not in out
    assert 'transport_url = keep' in out
    assert out.startswith('# comment\n[DEFAULT]\ndebug = true\n')
    # Missing: added under [DEFAULT], or with one.
    assert guest_files.with_transport_url(
        '[DEFAULT]\ndebug = true\n', 'x://') == (
        '[DEFAULT]\ntransport_url = x://\ndebug = true\n')
    assert guest_files.with_transport_url('', 'x://') == (
        '[DEFAULT]\ntransport_url = x://\n')


def test_enabled(overrides):
    assert broker_users.enabled() is False
    overrides('broker_management_url', 'http://127.0.0.1:15672')
    assert broker_users.enabled() is True
    overrides('guest_broker_users', False)
    assert broker_users.enabled() is False
    assert isinstance(broker_users.manager(), broker_users.ManagementApi)
    CONF.clear_override('broker_management_url')
    overrides('guest_broker_users', True)
    assert broker_users.enabled() is True
    assert isinstance(broker_users.manager(), broker_users.Rabbitmqctl)


class _FakeManagementApi(http.server.BaseHTTPRequestHandler):
    requests = []
    users = set()

    def _answer(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        path = self.path
        self.requests.append((self.command, path, body,
                              self.headers.get('Authorization')))
        parts = [urllib.parse.unquote(part) for part in path.split('/')]
        status = 204
        if parts[2] in ('permissions', 'topic-permissions') and \
                parts[3] == 'gone':
            status = 404        # the vhost was deleted
        elif parts[2] == 'users':
            if self.command == 'PUT':
                self.users.add(parts[3])
                status = 201
            elif parts[3] not in self.users:
                status = 404
            elif self.command == 'DELETE':
                self.users.discard(parts[3])
            else:
                status = 200
        self.send_response(status)
        self.send_header('Content-Length', '0')
        self.end_headers()

    do_GET = do_PUT = do_DELETE = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def management_api():
    """(a client of a fake management API on a free port, its server)."""
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                             _FakeManagementApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield broker_users.ManagementApi(
            'http://127.0.0.1:%d/' % server.server_port, 'admin',
            'secret'), server
    finally:
        server.shutdown()
        server.server_close()


def test_management_api_client(management_api):
    users, server = management_api
    try:
        url = broker_users.provision(
            ID, 'rabbit://guest:guest@127.0.0.1:5672/my/vhost', 'trove',
            'trove-conductor', users=users)
        name = 'trove-guest-' + ID
        assert users.exists(name)
        requests = _FakeManagementApi.requests
        assert [(method, path) for method, path, _b, _a in requests[:3]] == [
            ('PUT', '/api/users/' + name),
            ('PUT', '/api/permissions/my%2Fvhost/' + name),
            ('PUT', '/api/topic-permissions/my%2Fvhost/' + name)]
        password = urllib.parse.unquote(urllib.parse.urlsplit(url).password)
        assert requests[0][2] == {'password': password, 'tags': ''}
        assert requests[1][2]['read'].startswith('^(guestagent')
        assert requests[2][2]['exchange'] == 'trove'
        assert requests[0][3] == 'Basic YWRtaW46c2VjcmV0'
        broker_users.remove(ID, users)
        assert not users.exists(name)
        broker_users.remove(ID, users)  # already gone: fine
    finally:
        server.shutdown()
    with pytest.raises(broker_users.BrokerUserError):
        users.exists(name)


def test_management_api_user_without_its_vhost_is_not_left(
        management_api):
    users, _server = management_api
    with pytest.raises(broker_users.BrokerUserError, match='404'):
        broker_users.provision(
            OTHER, 'rabbit://guest:guest@127.0.0.1:5672/gone', 'trove',
            'trove-conductor', users=users)
    assert not users.exists('trove-guest-' + OTHER)


class _RecordingUsers(broker_users.BrokerUsers):
    def __init__(self):
        self.made = []

    def ensure(self, name, password, vhost, permissions):
        self.made.append((name, password, vhost, permissions))


def test_guest_config_gets_the_instances_user(tmp_path, overrides,
                                              monkeypatch):
    guest_conf = tmp_path / 'trove-guestagent.conf'
    guest_conf.write_text('[DEFAULT]\ntransport_url = '
                          'rabbit://guest:guest@127.0.0.1:5672/dep\n'
                          'control_exchange = trove\n')
    overrides('guest_config', str(guest_conf))
    users = _RecordingUsers()
    monkeypatch.setattr(broker_users, 'manager', lambda: users)
    files = guest_files.build(ID, 'mariadb', '11.4', 'p1')
    assert 'guest:guest' in files.guest_config  # option off
    assert users.made == []

    overrides('guest_broker_users', True)
    files = guest_files.build(ID, 'mariadb', '11.4', 'p1')
    [(name, password, vhost, permissions)] = users.made
    assert (name, vhost) == ('trove-guest-' + ID, 'dep')
    assert permissions.control_exchange == 'trove'
    assert permissions.topic_write == '^trove\\-conductor$'
    assert ('transport_url = rabbit://trove-guest-%s:%s@127.0.0.1:5672/dep'
            % (ID, password)) in files.guest_config
    assert 'guest:guest' not in files.guest_config


def test_replies_patch_is_installed_once_and_only_for_instance_users():
    from oslo_messaging._drivers import impl_rabbit

    from trove.common import rpc_replies
    rpc_replies.install()
    declare = impl_rabbit.Consumer.declare
    direct_send = impl_rabbit.Connection.direct_send
    rpc_replies.install()
    assert impl_rabbit.Consumer.declare is declare
    assert impl_rabbit.Connection.direct_send is direct_send
    assert rpc_replies.reply_exchange('trove') == 'trove_replies'

    class Kombu:
        def __init__(self, userid):
            self.userid = userid

    class Connection:
        def __init__(self, userid):
            self.connection = Kombu(userid)

    assert rpc_replies._instance_user(Connection('trove-guest-' + ID))
    assert not rpc_replies._instance_user(Connection('guest'))
    assert not rpc_replies._instance_user(object())


def test_trove_local_leaves_a_private_broker_node_alone():
    """rabbitmqctl manages the machine's default node only: a deployment
    on a broker node of its own (another port) gets no instance users."""
    from trove.localenv import config as local_config
    local = local_config.LocalConfig.__new__(local_config.LocalConfig)
    local.transport_url = 'rabbit://guest:guest@127.0.0.1:25673/trove-x'
    assert local.guest_broker_users() is False


def test_the_password_goes_to_rabbitmqctl_as_rabbitmqs_salted_hash():
    import base64
    import hashlib
    stored = base64.b64decode(broker_users.password_hash('pässword'))
    salt, digest = stored[:4], stored[4:]
    assert digest == hashlib.sha256(salt + 'pässword'.encode()).digest()
    assert broker_users.password_hash('x') != broker_users.password_hash('x')
