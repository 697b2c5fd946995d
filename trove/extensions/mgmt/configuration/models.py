"""The configuration parameters a datastore version accepts (admin writes).

A parameter is a rule (type, bounds, whether a change needs a restart)
tenants' configuration groups are checked against. Deleting one marks it
deleted; creating it again later revives the row, so the unique
(version, name) constraint holds.
"""

from oslo_db import exception as db_exception

from trove.common import exception
from trove.datastore import parameters as datastore_parameters
from trove.db import api as db_api
from trove.db import models as db_models

Param = db_models.DatastoreConfigurationParameter


def _bound(parameter, *keys):
    """The first of ``keys`` present (upstream's schema says max/min, its
    controller reads max_size/min_size; both are accepted)."""
    for key in keys:
        if parameter.get(key) is not None:
            return parameter[key]
    return None


def _number(value, key, kind):
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise exception.BadRequest('%s must be a number of type %s, got %r.'
                                   % (key, kind.__name__, value)) from None


def rule_from_request(parameter):
    """Validated column values of a ``configuration-parameter`` body."""
    data_type = parameter['data_type']
    max_size = _bound(parameter, 'max_size', 'max')
    min_size = _bound(parameter, 'min_size', 'min')
    if data_type == 'integer':
        for key, value in (('max_size', max_size), ('min_size', min_size)):
            if value is None:
                raise exception.BadRequest(
                    '%s is required for integer data type.' % key)
        max_size = _number(max_size, 'max_size', int)
        min_size = _number(min_size, 'min_size', int)
    elif data_type == 'float':
        max_size = None if max_size is None else _number(max_size,
                                                         'max_size', float)
        min_size = None if min_size is None else _number(min_size,
                                                         'min_size', float)
    else:
        max_size = min_size = None
    if max_size is not None and min_size is not None and max_size < min_size:
        raise exception.BadRequest(
            'max_size must be greater than or equal to min_size.')
    return {
        'data_type': data_type,
        'restart_required': bool(parameter['restart_required']),
        'max_size': None if max_size is None else str(max_size),
        'min_size': None if min_size is None else str(min_size),
        'allowed_values': _allowed_values(parameter, data_type),
    }


def _allowed_values(parameter, data_type):
    """The optional ``allowed_values`` list (and ``multiple``) of a string
    parameter, encoded for its column."""
    values = parameter.get('allowed_values')
    if values is None:
        return None
    if data_type != 'string' or not isinstance(values, list) or not all(
            isinstance(v, str) and v for v in values):
        raise exception.BadRequest('allowed_values must be a list of '
                                   'non-empty strings of a string '
                                   'parameter.')
    return datastore_parameters.encode_allowed(values,
                                          parameter.get('multiple', False))


def _apply(row, rule):
    for key, value in rule.items():
        setattr(row, key, value)


def _live(session, version_id, name):
    row = session.query(Param).filter_by(datastore_version_id=version_id,
                                         name=name, deleted=False).first()
    if row is None:
        raise exception.ConfigurationParameterNotFound(name=name)
    return row


def create_parameter(context, version_id, name, rule):
    try:
        with db_api.writer(context) as session:
            row = session.query(Param).filter_by(
                datastore_version_id=version_id, name=name).first()
            if row is not None and not row.deleted:
                raise exception.ConfigurationParameterAlreadyExists(
                    name=name, version=version_id)
            if row is None:
                row = Param(datastore_version_id=version_id, name=name)
                session.add(row)
            _apply(row, rule)
            row.deleted = False
            row.deleted_at = None
    except db_exception.DBDuplicateEntry:
        raise exception.ConfigurationParameterAlreadyExists(
            name=name, version=version_id) from None
    return row


def update_parameter(context, version_id, name, rule):
    with db_api.writer(context) as session:
        row = _live(session, version_id, name)
        _apply(row, rule)
    return row


def delete_parameter(context, version_id, name):
    with db_api.writer(context) as session:
        row = _live(session, version_id, name)
        row.deleted = True
        row.deleted_at = db_models.utcnow()
