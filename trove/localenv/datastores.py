"""Registering this host's engines as datastores, and default flavors."""

import json
import os

from trove.common import context as trove_context
from trove.common import engines
from trove.compute.local import flavors as local_flavors
from trove.datastore import models as datastore_models
from trove.datastore import parameters as datastore_parameters

TEMPLATES_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)),
                             'templates')

# id, name, RAM MB, vCPUs, disk GB
DEFAULT_FLAVORS = (
    ('1', 'tiny', 512, 1, 2),
    ('2', 'small', 1024, 1, 5),
    ('3', 'medium', 2048, 2, 10),
    ('4', 'large', 4096, 4, 20),
)


def register_engines(context=None):
    """Every installed engine becomes an active datastore version and its
    datastore's default; returns the engines registered."""
    context = context or trove_context.get_admin_context()
    found = engines.installed_engines()
    for engine in found:
        datastore_models.update_datastore(context, engine.datastore)
        datastore_models.update_version(
            context, engine.datastore, engine.version_name,
            engine.datastore, image_id=None, packages=None, active=True,
            version=engine.version)
        datastore_models.update_datastore(context, engine.datastore,
                                          engine.version_name)
        _load_parameter_rules(context, engine)
    return found


def _load_parameter_rules(context, engine):
    rules_path = os.path.join(TEMPLATES_DIR, engine.datastore,
                              'validation-rules.json')
    if not os.path.exists(rules_path):
        return
    datastore, _versions = datastore_models.get_datastore(context,
                                                          engine.datastore)
    version = datastore_models.get_version(context, datastore,
                                           engine.version_name,
                                           engine.version)
    with open(rules_path) as rules_file:
        datastore_parameters.load_parameters(context, version.id,
                                         json.load(rules_file))


def create_default_flavors(context=None):
    """The default flavors, when no flavor exists yet."""
    context = context or trove_context.get_admin_context()
    flavors = local_flavors.LocalFlavors()
    if flavors.list(context):
        return []
    return [flavors.create(context, name, ram, vcpus, disk, flavor_id=fid)
            for fid, name, ram, vcpus, disk in DEFAULT_FLAVORS]
