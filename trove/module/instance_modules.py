"""Modules on instances: checking, applying through the guest, recording.

The control database records which module (and which MD5 of it) each
instance got (``instance_modules``); the guest keeps the applied files
and their results, which ``module-query`` (``from_guest``) reports.
"""

import sqlalchemy as sa

from trove.common import exception
from trove.db import api as db_api
from trove.db import models as db_models
from trove.module import models

InstanceModule = db_models.InstanceModule
Module = db_models.Module


def _fits(module, version):
    return (module.datastore_id in (None, version.datastore_id)
            and module.datastore_version_id in (None, version.id))


def check(context, version, module_refs, auto=True):
    """The modules a create or apply names (visible to the caller, for
    the instance's datastore version) plus, with ``auto``, the visible
    auto-apply modules of that version; 400 for one that does not fit."""
    chosen = {}
    for ref in module_refs or []:
        module = models.get(context, ref['id'])
        if not _fits(module, version):
            raise exception.BadRequest(
                'Module %s is for another datastore or version than %s.'
                % (module.name, version.name))
        chosen[module.id] = module
    if auto:
        with db_api.reader(context) as session:
            for module in models.visible_query(context, session).filter(
                    Module.auto_apply == sa.true()).all():
                if _fits(module, version):
                    chosen.setdefault(module.id, module)
    return sorted(chosen.values(),
                  key=lambda m: (not m.priority_apply, m.apply_order,
                                 m.name))


def payload(module, names=None):
    """What the guest gets: the module with its decrypted contents."""
    names = names or {}
    return {'id': module.id, 'name': module.name, 'type': module.type,
            'contents': models.decrypted(module), 'md5': module.md5,
            'tenant': module.tenant_id or 'All',
            'datastore': names.get(module.datastore_id, 'All'),
            'datastore_version': names.get(module.datastore_version_id,
                                           'All'),
            'auto_apply': module.auto_apply, 'visible': module.visible,
            'is_admin': module.is_admin,
            'priority_apply': module.priority_apply,
            'apply_order': module.apply_order}


def record_in(session, instance_id, modules):
    now = db_models.utcnow()
    for module in modules:
        row = session.query(InstanceModule).filter(
            InstanceModule.instance_id == instance_id,
            InstanceModule.module_id == module.id,
            InstanceModule.deleted == sa.false()).first()
        if row is None:
            session.add(InstanceModule(instance_id=instance_id,
                                       module_id=module.id, md5=module.md5,
                                       created=now, updated=now))
        else:
            row.md5, row.updated = module.md5, now


def record(context, instance_id, modules):
    with db_api.writer(context) as session:
        record_in(session, instance_id, modules)


def forget(context, instance_id, module_id):
    with db_api.writer(context) as session:
        removed = session.execute(
            sa.update(InstanceModule).where(
                InstanceModule.instance_id == instance_id,
                InstanceModule.module_id == module_id,
                InstanceModule.deleted == sa.false())
            .values(deleted=True, deleted_at=db_models.utcnow())).rowcount
    if not removed:
        raise exception.ModuleNotFound(uuid=module_id)


def applied(context, instance_id):
    """(Module, InstanceModule) of an instance, by apply order."""
    with db_api.reader(context) as session:
        return session.query(Module, InstanceModule).join(
            InstanceModule, InstanceModule.module_id == Module.id).filter(
            InstanceModule.instance_id == instance_id,
            InstanceModule.deleted == sa.false()).order_by(
            Module.apply_order, Module.name).all()


def payloads_for(context, instance_id):
    """Decrypted payloads of what an instance is recorded to have (the
    create flow sends them with prepare)."""
    return [payload(module) for module, _row in applied(context,
                                                        instance_id)]
