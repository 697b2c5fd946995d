"""Policy in code: upstream's rule names and defaults, admin from
``context_is_admin``, and overrides read from the policy file."""

import json
import types

import pytest
import webob
import webob.dec
from oslo_config import cfg

from trove.common import auth
from trove.common import context
from trove.common import exception
from trove.common import policies
from trove.common import policy
from trove.common import wsgi
from trove.conf import CONF

ADMIN_ONLY = {'instance:reset_status', 'instance:index:all_projects',
              'cluster:reset-status', 'datastore:delete',
              'backup:index:all_projects'}


@pytest.fixture(autouse=True)
def fresh_enforcer():
    try:
        CONF.find_file('policy.yaml')
    except cfg.NotInitializedError:
        CONF([], project='trove', default_config_files=[])
    policy.reset()
    policy.get_enforcer()   # registers the [oslo_policy] options
    yield
    CONF.clear_override('policy_file', group='oslo_policy')
    policy.reset()


@pytest.fixture
def policy_file(tmp_path):
    """Write ``rules`` to a policy file the enforcer reads."""
    path = tmp_path / 'policy.json'

    def write(rules):
        path.write_text(json.dumps(rules))
        CONF.set_override('policy_file', str(path), group='oslo_policy')
        policy.reset()
    return write


def _context(project='p1', roles=('member',), is_admin=False):
    return context.TroveContext(project_id=project, user_id='u1',
                                roles=list(roles), is_admin=is_admin,
                                overwrite=False)


def _rules():
    return {rule.name: rule for rule in policies.list_rules()}


def test_base_rules_are_upstreams():
    rules = _rules()
    assert rules['context_is_admin'].check_str == 'role:admin'
    assert rules['admin'].check_str == 'role:admin or is_admin:True'
    assert rules['admin_or_owner'].check_str == \
        'rule:admin or project_id:%(tenant)s'
    assert rules['default'].check_str == 'rule:admin_or_owner'


def test_operation_rules_default_to_admin_or_owner():
    for name, rule in _rules().items():
        if name in ('context_is_admin', 'admin', 'admin_or_owner',
                    'default'):
            continue
        if name in ADMIN_ONLY:
            assert rule.check_str in ('rule:admin', 'role:admin'), name
        else:
            assert rule.check_str == 'rule:admin_or_owner', name


@pytest.mark.parametrize('name', [
    'instance:create', 'instance:index', 'instance:show', 'instance:delete',
    'instance:extension:user:create', 'instance:extension:database:index',
    'instance:extension:root:create', 'instance:extension:user_access:update',
    'backup:create', 'backup:show', 'backup_strategy:create',
    'configuration:create', 'configuration-parameter:index',
    'datastore:index', 'flavor:index', 'limits:index', 'cluster:create',
    'module:create'])
def test_upstream_rule_names_exist(name):
    assert name in _rules()


def test_owner_may_act_on_its_resource():
    policy.authorize_on_target(_context('p1'), 'instance:show',
                               {'tenant': 'p1'})


def test_other_project_is_refused_with_403():
    with pytest.raises(exception.PolicyNotAuthorized) as refused:
        policy.authorize_on_target(_context('p2'), 'instance:show',
                                   {'tenant': 'p1'})
    assert refused.value.code == 403
    assert 'instance:show' in str(refused.value)


def test_admin_may_act_on_any_project():
    admin = _context('p2', roles=('admin',))
    policy.authorize_on_target(admin, 'instance:show', {'tenant': 'p1'})
    policy.authorize_on_tenant(admin, 'instance:reset_status')


def test_admin_only_rules_refuse_members():
    with pytest.raises(exception.PolicyNotAuthorized):
        policy.authorize_on_tenant(_context(), 'instance:reset_status')
    with pytest.raises(exception.PolicyNotAuthorized):
        policy.authorize_on_tenant(_context(), 'instance:index:all_projects')


def test_check_is_admin_follows_context_is_admin(policy_file):
    assert policy.check_is_admin(_context(roles=('admin',)))
    assert not policy.check_is_admin(_context(roles=('member',)))
    policy_file({'context_is_admin': 'role:operator'})
    assert policy.check_is_admin(_context(roles=('operator',)))
    assert not policy.check_is_admin(_context(roles=('admin',)))


def test_is_admin_rule_may_refer_to_is_admin(policy_file):
    # "admin" refers to is_admin; deciding is_admin with it must not
    # loop, and must not make everybody an administrator.
    policy_file({'context_is_admin': 'rule:admin'})
    assert not policy.check_is_admin(_context(roles=('member',)))
    assert policy.check_is_admin(_context(roles=('admin',)))


def test_policy_file_overrides_a_default(policy_file):
    policy.authorize_on_tenant(_context(), 'instance:index')
    policy_file({'instance:index': 'rule:admin'})
    with pytest.raises(exception.PolicyNotAuthorized):
        policy.authorize_on_tenant(_context(), 'instance:index')
    policy.authorize_on_tenant(_context(roles=('admin',)), 'instance:index')
    # Rules the file does not name keep their defaults.
    policy.authorize_on_tenant(_context(), 'instance:show')


def test_policy_file_changes_are_picked_up(policy_file, tmp_path,
                                          monkeypatch):
    # The policy module's clock, moved by the test: a loaded machine
    # cannot make the "not looked at again yet" step late.
    clock = [1000.0]
    monkeypatch.setattr(policy, 'time',
                        types.SimpleNamespace(monotonic=lambda: clock[0]))
    policy_file({})
    policy.authorize_on_tenant(_context(), 'instance:create')
    path = tmp_path / 'policy.json'
    path.write_text(json.dumps({'instance:create': '!'}))
    # The remembered decision holds until the file is looked at again.
    policy.authorize_on_tenant(_context(), 'instance:create')
    clock[0] += policy._RECHECK_SECONDS + 0.1
    with pytest.raises(exception.PolicyNotAuthorized):
        policy.authorize_on_tenant(_context(), 'instance:create')


def test_decisions_are_remembered_per_credentials(policy_file, monkeypatch):
    policy_file({})
    enforcer = policy.get_enforcer()
    evaluated = []
    real_authorize = enforcer.authorize

    def counting_authorize(rule, target, creds, **kwargs):
        evaluated.append((rule, creds['project_id']))
        return real_authorize(rule, target, creds, **kwargs)

    monkeypatch.setattr(enforcer, 'authorize', counting_authorize)
    for _ in range(3):
        policy.authorize_on_tenant(_context(), 'instance:index')
    policy.authorize_on_tenant(_context(project='p2'), 'instance:index')
    assert evaluated == [('instance:index', 'p1'), ('instance:index', 'p2')]


# The context middleware asks the policy who is an administrator.

@webob.dec.wsgify
def _echo_context(request):
    ctx = request.environ[wsgi.CONTEXT_KEY]
    return webob.Response(json_body={'is_admin': ctx.is_admin,
                                     'roles': ctx.roles,
                                     'project': ctx.project_id})


def _context_of(headers):
    app = auth.ContextMiddleware(_echo_context)
    request = webob.Request.blank('/p1/instances', headers=headers)
    return request.get_response(app).json


def test_context_middleware_sets_is_admin_from_the_policy(policy_file):
    assert _context_of({'X-Project-Id': 'p1', 'X-Roles': 'admin,member'})[
        'is_admin'] is True
    member = _context_of({'X-Project-Id': 'p1', 'X-Roles': 'member, reader'})
    assert member == {'is_admin': False, 'roles': ['member', 'reader'],
                      'project': 'p1'}
    policy_file({'context_is_admin': 'role:reader'})
    assert _context_of({'X-Project-Id': 'p1', 'X-Roles': 'reader'})[
        'is_admin'] is True


def test_authorization_middleware_checks_the_project_in_the_path():
    app = auth.AuthorizationMiddleware(_echo_context)
    refused = webob.Request.blank(
        '/p2/instances', headers={'X-Project-Id': 'p1'}).get_response(app)
    assert refused.status_int == 403
    assert refused.json['forbidden']['message'] == (
        'User with tenant id p2 cannot access this resource.')
    allowed = webob.Request.blank(
        '/p1/instances', headers={'X-Project-Id': 'p1'})
    allowed.environ[wsgi.CONTEXT_KEY] = _context('p1')
    assert allowed.get_response(app).status_int == 200
