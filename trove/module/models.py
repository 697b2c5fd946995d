"""Modules: stored (contents encrypted), seen by whom, and where applied.

Upstream's rules: a module of ``all_tenants`` (tenant NULL), with
``auto_apply``, ``priority_apply`` or ``full_access``, or invisible, can
only be made or changed by an administrator and is flagged ``is_admin``;
a user sees its project's modules and the visible modules of all
projects; a module applied to instances cannot be deleted. Contents are
kept encrypted with ``module_aes_cbc_key``; their MD5 identifies a
version of the module.
"""

import hashlib
import uuid

import sqlalchemy as sa
from oslo_log import log as logging

from trove.common import crypto, exception
from trove.conf import CONF
from trove.datastore import models as datastore_models
from trove.db import api as db_api
from trove.db import models as db_models

LOG = logging.getLogger(__name__)

Module = db_models.Module
InstanceModule = db_models.InstanceModule
ADMIN_OPTIONS = ('auto_apply', 'all_tenants', 'priority_apply',
                 'full_access')


def md5_of(contents):
    return hashlib.md5(contents.encode('utf-8'),
                       usedforsecurity=False).hexdigest()


def decrypted(module):
    return crypto.decrypt(module.contents,
                          CONF.module_aes_cbc_key).decode('utf-8')


def _check_type(module_type):
    if module_type not in CONF.module_types:
        raise exception.ModuleTypeNotFound(
            module_type=module_type, known=', '.join(CONF.module_types))


def _admin_options(context, values, action):
    """The admin-only options asked for; 403 for a user."""
    asked = [name for name in ADMIN_OPTIONS if values.get(name)]
    if values.get('visible') is not None and not values.get('visible'):
        asked.append('visible=0')
    if asked and not context.is_admin:
        raise exception.ModuleAccessForbidden(action=action,
                                              options=', '.join(asked))
    return bool(asked)


def _datastore_ids(context, datastore):
    """(datastore id, version id) of ``{"type", "version"}`` (None: all)."""
    if not datastore or not datastore.get('type'):
        if datastore and datastore.get('version'):
            raise exception.BadRequest('A datastore version needs its '
                                       'datastore type.')
        return None, None
    found, _versions = datastore_models.get_datastore(context,
                                                      datastore['type'])
    if not datastore.get('version'):
        return found.id, None
    version = datastore_models.get_version(context, found,
                                           datastore['version'])
    return found.id, version.id


def visible_query(context, session):
    query = session.query(Module).filter(Module.deleted == sa.false())
    if not context.is_admin:
        query = query.filter(sa.or_(
            Module.tenant_id == context.project_id,
            sa.and_(Module.tenant_id.is_(None), Module.visible == sa.true())))
    return query


def list_modules(context, datastore=None):
    with db_api.reader(context) as session:
        query = visible_query(context, session)
        if datastore and datastore != 'all':
            found, _ = datastore_models.get_datastore(context, datastore)
            query = query.filter(sa.or_(Module.datastore_id == found.id,
                                        Module.datastore_id.is_(None)))
        return query.order_by(Module.name).all()


def get(context, module_id):
    with db_api.reader(context) as session:
        module = visible_query(context, session).filter(
            sa.or_(Module.id == module_id, Module.name == module_id)).first()
    if module is None:
        raise exception.ModuleNotFound(uuid=module_id)
    return module


def _exists(session, name, module_type, tenant_id, datastore_id,
            version_id, exclude=None):
    query = session.query(Module).filter(
        Module.deleted == sa.false(), Module.name == name,
        Module.type == module_type, Module.tenant_id.is_(tenant_id)
        if tenant_id is None else Module.tenant_id == tenant_id,
        Module.datastore_id.is_(None) if datastore_id is None
        else Module.datastore_id == datastore_id,
        Module.datastore_version_id.is_(None) if version_id is None
        else Module.datastore_version_id == version_id)
    if exclude:
        query = query.filter(Module.id != exclude)
    return query.first() is not None


def create(context, values):
    _check_type(values['module_type'])
    is_admin = _admin_options(context, values, 'create')
    datastore_id, version_id = _datastore_ids(context,
                                              values.get('datastore'))
    tenant_id = None if values.get('all_tenants') else context.project_id
    contents = values['contents']
    with db_api.writer(context) as session:
        if _exists(session, values['name'], values['module_type'],
                   tenant_id, datastore_id, version_id):
            raise exception.ModuleAlreadyExists(name=values['name'],
                                                type=values['module_type'])
        module = Module(
            id=str(uuid.uuid4()), name=values['name'],
            type=values['module_type'],
            contents=crypto.encrypt(contents, CONF.module_aes_cbc_key),
            md5=md5_of(contents), description=values.get('description'),
            tenant_id=tenant_id, datastore_id=datastore_id,
            datastore_version_id=version_id,
            auto_apply=bool(values.get('auto_apply')),
            visible=bool(values.get('visible', 1)),
            live_update=bool(values.get('live_update')),
            priority_apply=bool(values.get('priority_apply')),
            apply_order=values.get('apply_order', 5), is_admin=is_admin,
            created=db_models.utcnow(), updated=db_models.utcnow())
        session.add(module)
    return get(context, module.id)


def update(context, module_id, values):
    module = get(context, module_id)
    if module.is_admin and not context.is_admin:
        raise exception.ModuleAccessForbidden(action='update',
                                              options='is_admin')
    is_admin = _admin_options(context, values, 'update') or module.is_admin
    changes = {}
    for key in ('name', 'description', 'auto_apply', 'visible',
                'live_update', 'priority_apply', 'apply_order'):
        if key in values:
            changes[key] = values[key] if key in (
                'name', 'description', 'apply_order') else bool(values[key])
    if 'module_type' in values:
        _check_type(values['module_type'])
        changes['type'] = values['module_type']
    if 'contents' in values:
        changes['contents'] = crypto.encrypt(values['contents'],
                                             CONF.module_aes_cbc_key)
        changes['md5'] = md5_of(values['contents'])
    if 'all_tenants' in values:
        changes['tenant_id'] = None if values['all_tenants'] \
            else context.project_id
    if values.get('all_datastores'):
        changes['datastore_id'] = changes['datastore_version_id'] = None
    elif 'datastore' in values:
        changes['datastore_id'], changes['datastore_version_id'] = \
            _datastore_ids(context, values['datastore'])
    if values.get('all_datastore_versions'):
        changes['datastore_version_id'] = None
    changes.update(is_admin=is_admin, updated=db_models.utcnow())
    with db_api.writer(context) as session:
        session.execute(sa.update(Module).where(Module.id == module.id)
                        .values(**changes))
    return get(context, module.id)


def delete(context, module_id):
    module = get(context, module_id)
    if module.is_admin and not context.is_admin:
        raise exception.ModuleAccessForbidden(action='delete',
                                              options='is_admin')
    with db_api.writer(context) as session:
        count = _applied_count(session, module.id)
        if count:
            raise exception.ModuleAppliedToInstance(name=module.name,
                                                    count=count)
        session.execute(sa.update(Module).where(Module.id == module.id)
                        .values(deleted=True,
                                deleted_at=db_models.utcnow()))


def _applied_count(session, module_id):
    return session.query(InstanceModule).join(
        db_models.Instance, db_models.Instance.id == InstanceModule.instance_id
    ).filter(InstanceModule.module_id == module_id,
             InstanceModule.deleted == sa.false(),
             db_models.Instance.deleted == sa.false()).count()


def instance_count(context, module_id):
    with db_api.reader(context) as session:
        return _applied_count(session, module_id)


def applied_instances(context, module_id):
    """(instance row, instance_module row) of the live instances."""
    with db_api.reader(context) as session:
        return session.query(db_models.Instance, InstanceModule).join(
            InstanceModule,
            InstanceModule.instance_id == db_models.Instance.id).filter(
            InstanceModule.module_id == module_id,
            InstanceModule.deleted == sa.false(),
            db_models.Instance.deleted == sa.false()).all()
