"""Bodies of backup and backup strategy requests."""

from trove.common.schemas import types

create = types.wrapped('backup', {
    'type': 'object',
    'required': ['name'],
    'additionalProperties': True,
    'properties': {
        'description': {'type': 'string', 'maxLength': 512},
        'instance': types.uuid,
        'name': types.non_empty_string,
        'parent_id': types.uuid,
        'incremental': types.boolean_string,
        'swift_container': types.non_empty_string,
        'storage_driver': {'type': 'string',
                           'enum': ['swift', 'local', 'cinder']},
        'restore_from': {
            'type': 'object',
            'required': ['remote_location', 'local_datastore_version_id',
                         'size'],
            'properties': {
                'remote_location': {'type': 'string'},
                'local_datastore_version_id': types.uuid,
                'size': {'type': 'number'},
            },
        },
    },
})

# What a drill checks: the user's query (and its database), and the
# point in time the backup is rolled forward to (as a restorePoint's).
drill_properties = {
    'query': {'type': 'string', 'minLength': 1, 'maxLength': 4096},
    'database': {'type': 'string', 'minLength': 1, 'maxLength': 64},
    'restoreTime': {'type': 'string', 'minLength': 1, 'maxLength': 64},
}

# ``POST /backups/{id}/drill`` takes no body, or the drill's checks.
drill = types.wrapped('drill', {
    'type': 'object',
    'additionalProperties': False,
    'properties': drill_properties,
}, additionalProperties=False)

strategy_create = types.wrapped('backup_strategy', {
    'type': 'object',
    'required': ['swift_container'],
    'additionalProperties': False,
    'properties': {
        'instance_id': types.uuid,
        'swift_container': types.non_empty_string,
    },
}, additionalProperties=False)

# A schedule takes backups ("action": "backup", with a retention) or runs
# restore drills of the instance's latest backup ("action": "drill",
# with the drill's checks); trove.backup.schedules checks the pairing.
schedule_create = types.wrapped('backup_schedule', {
    'type': 'object',
    'required': ['name'],
    'additionalProperties': False,
    'properties': {
        'name': types.non_empty_string,
        'description': {'type': 'string', 'maxLength': 512},
        'action': {'type': 'string', 'enum': ['backup', 'drill']},
        'drill': {'type': 'object', 'additionalProperties': False,
                  'properties': drill_properties},
        'cron': {'type': 'string', 'minLength': 9, 'maxLength': 255},
        'interval': {'type': 'integer', 'minimum': 1,
                     'maximum': 366 * 24 * 3600},
        'full_every': {'type': 'integer', 'minimum': 1, 'maximum': 1000},
        'retention': {
            'type': 'object',
            'additionalProperties': False,
            'properties': {
                'count': {'type': 'integer', 'minimum': 1,
                          'maximum': 10000},
                'max_age_days': {'type': 'integer', 'minimum': 1,
                                 'maximum': 36500},
            },
        },
        'storage_driver': {'type': 'string', 'enum': ['swift', 'local']},
        'swift_container': types.non_empty_string,
    },
}, additionalProperties=False)
