"""JSON shape of a datastore version in the management API."""


def _listed(value):
    """A comma-joined column as a list; upstream shows [''] when empty."""
    return value.split(',') if value else ['']


def version_view(version):
    datastore = version.datastore
    return {
        'id': version.id,
        'name': version.name,
        'version': version.version,
        'datastore_id': version.datastore_id,
        'datastore_name': datastore.name,
        'datastore_manager': version.manager,
        'image': version.image_id,
        'image_tags': _listed(version.image_tags),
        'packages': _listed(version.packages),
        'active': version.active,
        'registry_ext': version.registry_ext,
        'repl_strategy': version.repl_strategy,
        'default': datastore.default_version_id == version.id,
    }
