"""A control database with datastores, versions, parameters and flavors,
written through the models the operators' tools use."""

from trove.common import context as trove_context
from trove.compute.local import flavors as local_flavors
from trove.datastore import models as datastore_models
from trove.datastore import parameters as datastore_parameters
from trove.db import api as db_api

# (datastore, version name, version number, default?)
VERSIONS = [
    ('mariadb', '10.11', '10.11.6', True),
    ('mysql', '8.0', '8.0.36', True),
    ('postgresql', '15', '15.5', False),
]
PARAMETERS = {'configuration-parameters': [
    {'name': 'autocommit', 'restart_required': False, 'max': 1, 'min': 0,
     'type': 'integer'},
    {'name': 'wait_timeout', 'restart_required': False, 'max': 31536000,
     'min': 1, 'type': 'integer'},
    {'name': 'sql_mode', 'restart_required': True, 'type': 'string'},
]}
FLAVORS = [('small', 1024, 1, 5), ('medium', 2048, 2, 10)]


def seed_database(url):
    """Fill the database at ``url``; the ids of what was created."""
    db_api.configure(url)
    context = trove_context.get_admin_context()
    ids = {}
    try:
        for datastore, name, number, default in VERSIONS:
            ids[datastore] = datastore_models.update_datastore(context,
                                                               datastore)
            ids[datastore + '-version'] = datastore_models.update_version(
                context, datastore, name, datastore, '', '', True,
                image_tags=['trove'], version=number)
            if default:
                datastore_models.update_datastore(context, datastore, name)
        datastore_parameters.load_parameters(context, ids['mysql-version'],
                                         PARAMETERS)
        for name, ram, vcpus, disk in FLAVORS:
            local_flavors.LocalFlavors().create(context, name, ram, vcpus,
                                                disk)
    finally:
        db_api.configure()
    return ids
