"""JSON shapes of databases, users and root, from the guest's wire form."""

from trove.common import views


def database_view(serialized):
    return {'name': serialized['_name']}


def user_view(serialized):
    return {'name': serialized['_name'],
            'host': serialized.get('_host') or '%',
            'databases': [database_view(d)
                          for d in serialized.get('_databases') or []]}


def root_history_view(instance_id, history):
    if history is None:
        return {'id': instance_id, 'enabled': 'Never', 'user': 'Nobody'}
    return {'id': instance_id, 'enabled': views.isotime(history.created),
            'user': history.user or 'Nobody'}
