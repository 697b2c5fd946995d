"""Configuration parameters of datastore versions: the one home of the
``datastore_configuration_parameters`` rows (their rules: type, bounds,
allowed values, whether a change needs a restart).

trove.configuration.rules validates values against them; the management
API lists and edits them; trove-manage loads them from validation-rules
files. This module imports neither.
"""

import json

import sqlalchemy as sa

from trove.common import exception
from trove.db import api as db_api
from trove.db import models as db_models


def encode_allowed(values, multiple=False):
    """The ``allowed_values`` column of a rule (None: any value)."""
    if not values:
        return None
    return json.dumps({'values': [str(v) for v in values],
                       'multiple': bool(multiple)})


def decode_allowed(text):
    """(values tuple or None, multiple) from an ``allowed_values`` column."""
    if not text:
        return None, False
    try:
        data = json.loads(text)
        return tuple(data['values']), bool(data.get('multiple'))
    except (ValueError, KeyError, TypeError):
        return None, False



def list_parameters(context, version_id):
    with db_api.reader(context) as session:
        return (session.query(db_models.DatastoreConfigurationParameter)
                .filter_by(datastore_version_id=version_id, deleted=False)
                .order_by(db_models.DatastoreConfigurationParameter.name)
                .all())


def get_parameter(context, version_id, name):
    with db_api.reader(context) as session:
        param = (session.query(db_models.DatastoreConfigurationParameter)
                 .filter_by(datastore_version_id=version_id, name=name,
                            deleted=False).first())
    if param is None:
        raise exception.ConfigurationParameterNotFound(name=name)
    return param


def load_parameters(context, version_id, rules):
    """Replace a version's parameter rules with ``rules`` (validation-rules
    JSON: ``{"configuration-parameters": [{name, restart_required, type,
    min, max, allowed_values, multiple}, ...]}``)."""
    Param = db_models.DatastoreConfigurationParameter
    with db_api.writer(context) as session:
        session.execute(sa.delete(Param).where(
            Param.datastore_version_id == version_id))
        for rule in rules['configuration-parameters']:
            session.add(Param(
                datastore_version_id=version_id,
                name=rule['name'],
                restart_required=bool(rule.get('restart_required', False)),
                data_type=rule['type'],
                max_size=_bound(rule.get('max')),
                min_size=_bound(rule.get('min')),
                allowed_values=encode_allowed(
                    rule.get('allowed_values'), rule.get('multiple')),
            ))
    return len(rules['configuration-parameters'])


def _bound(value):
    return None if value is None else str(value)
