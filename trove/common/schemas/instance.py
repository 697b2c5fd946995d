"""Bodies of instance requests."""

from trove.common.schemas import types

SSL_MODES = ('basic', 'enforced', 'mtls')

create = types.wrapped('instance', {
    'type': 'object',
    'required': ['name'],
    'additionalProperties': True,
    'properties': {
        'name': types.non_empty_string,
        'configuration_id': types.configuration_id,
        'configuration': types.configuration_id,
        'flavorRef': types.flavorref,
        'volume': types.volume,
        'databases': types.databases_def,
        'users': types.users_list,
        'restorePoint': {
            'type': 'object',
            # backupRef alone as upstream; with restoreTime, backupRef or
            # instanceRef (point-in-time recovery).
            'anyOf': [{'required': ['backupRef']},
                      {'required': ['instanceRef', 'restoreTime']}],
            'additionalProperties': True,
            'properties': {'backupRef': types.uuid,
                           'instanceRef': types.uuid,
                           'restoreTime': types.non_empty_string},
        },
        'replica_of': types.uuid,
        'replica_count': {'type': 'integer', 'minimum': 1, 'maximum': 3},
        'availability_zone': types.non_empty_string,
        'datastore': types.datastore,
        'nics': types.nics,
        'modules': types.module_list,
        'region_name': types.non_empty_string,
        'locality': types.non_empty_string,
        'access': types.access,
        # TLS to the instance (doc/tls.md).
        'ssl': {
            'type': 'object',
            'additionalProperties': False,
            'properties': {
                'enable': {'type': 'boolean'},
                'mode': {'type': 'string', 'enum': list(SSL_MODES)},
            },
        },
    },
})

update = types.wrapped('instance', {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'name': types.non_empty_string,
        'replica_of': {},
        'configuration': types.configuration_id,
        'datastore_version': types.non_empty_string,
        'access': types.access,
        # Extension keys (automatic failover, doc/failover.md).
        'auto_failover': {'type': 'boolean'},
        'replication_mode': {'type': 'string', 'enum': ['async', 'sync']},
        'dry_run': {'type': 'boolean'},
    },
}, additionalProperties=False)

edit = types.wrapped('instance', {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'slave_of': {},
        'replica_of': {},
        'name': types.non_empty_string,
        'configuration': types.configuration_id,
        'datastore_version': types.non_empty_string,
        'auto_failover': {'type': 'boolean'},
        'replication_mode': {'type': 'string', 'enum': ['async', 'sync']},
        'dry_run': {'type': 'boolean'},
    },
}, additionalProperties=False)

action_restart = types.wrapped('restart', {'type': 'object'})

action_resize_volume = types.wrapped('resize', {
    'type': 'object',
    'required': ['volume'],
    'additionalProperties': True,
    'properties': {'volume': types.volume},
})

action_resize_flavor = types.wrapped('resize', {
    'type': 'object',
    'required': ['flavorRef'],
    'additionalProperties': True,
    'properties': {'flavorRef': types.flavorref},
})

action_reset_status = types.wrapped('reset_status', {'type': 'object'})
action_promote = types.wrapped('promote_to_replica_source',
                               {'type': 'object'})
action_eject = types.wrapped('eject_replica_source', {'type': 'object'})

mgmt_action = {
    'migrate': types.wrapped('migrate', {'type': 'object'}),
    'reboot': types.wrapped('reboot', {'type': 'object'}),
    'stop': types.wrapped('stop', {'type': 'object'}),
    'reset-task-status': types.wrapped('reset-task-status',
                                       {'type': 'object'}),
    'rebuild': types.wrapped('rebuild', {
        'type': 'object',
        'required': ['image_id'],
        'additionalProperties': False,
        'properties': {'image_id': types.uuid},
    }),
}

guest_log_action = {
    'type': 'object',
    'required': ['name'],
    'additionalProperties': True,
    'properties': {
        'name': types.non_empty_string,
        'enable': types.boolean_string,
        'disable': types.boolean_string,
        'publish': types.boolean_string,
        'discard': types.boolean_string,
    },
}

ssl_action = types.wrapped('ssl', {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'enable': {'type': 'boolean'},
        'disable': {'type': 'boolean'},
        'rollback': {'type': 'boolean'},
        'mode': {'type': 'string', 'enum': list(SSL_MODES)},
        'container_ref': {'type': 'string'},
        'password_ref': {'type': 'string'},
        # Extension: a client certificate for mutual TLS.
        'client_certificate': {
            'type': 'object',
            'required': ['user'],
            'additionalProperties': False,
            'properties': {'user': types.non_empty_string},
        },
    },
}, additionalProperties=False)
