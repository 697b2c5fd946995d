"""Initial schema of the control database

Revision ID: 0001
Revises:
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('backup_strategy',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.Column('instance_id', sa.String(length=36), server_default='', nullable=False),
    sa.Column('backend', sa.String(length=255), nullable=False),
    sa.Column('swift_container', sa.String(length=255), nullable=True),
    sa.Column('created', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_backup_strategy')),
    sa.UniqueConstraint('tenant_id', 'instance_id', name=op.f('uq_backup_strategy_tenant_id_instance_id'))
    )
    op.create_table('conductor_lastseen',
    sa.Column('instance_id', sa.String(length=36), nullable=False),
    sa.Column('method_name', sa.String(length=36), nullable=False),
    sa.Column('sent', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('instance_id', 'method_name', name=op.f('pk_conductor_lastseen'))
    )
    op.create_table('datastores',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('default_version_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_datastores')),
    sa.UniqueConstraint('name', name=op.f('uq_datastores_name'))
    )
    op.create_table('flavors',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('ram', sa.Integer(), nullable=False),
    sa.Column('vcpus', sa.Integer(), nullable=False),
    sa.Column('disk', sa.Integer(), nullable=False),
    sa.Column('ephemeral', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created', sa.DateTime(), nullable=True),
    sa.Column('updated', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flavors')),
    sa.UniqueConstraint('name', name=op.f('uq_flavors_name'))
    )
    op.create_table('modules',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=255), nullable=False),
    sa.Column('contents', sa.Text().with_variant(mysql.LONGTEXT(), 'mariadb').with_variant(mysql.LONGTEXT(), 'mysql'), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=True),
    sa.Column('tenant_id', sa.String(length=64), nullable=True),
    sa.Column('datastore_id', sa.String(length=64), nullable=True),
    sa.Column('datastore_version_id', sa.String(length=64), nullable=True),
    sa.Column('auto_apply', sa.Boolean(), nullable=False),
    sa.Column('visible', sa.Boolean(), nullable=False),
    sa.Column('live_update', sa.Boolean(), nullable=False),
    sa.Column('md5', sa.String(length=32), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=True),
    sa.Column('updated', sa.DateTime(), nullable=True),
    sa.Column('deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('priority_apply', sa.Boolean(), nullable=False),
    sa.Column('apply_order', sa.Integer(), nullable=False),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_modules')),
    sa.UniqueConstraint('type', 'tenant_id', 'datastore_id', 'datastore_version_id', 'name', 'deleted_at', name='uq_modules_type_tenant_datastore_name')
    )
    op.create_table('quota_usages',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=True),
    sa.Column('updated', sa.DateTime(), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.Column('in_use', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.Column('resource', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quota_usages')),
    sa.UniqueConstraint('tenant_id', 'resource', name=op.f('uq_quota_usages_tenant_id_resource'))
    )
    op.create_table('quotas',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=True),
    sa.Column('updated', sa.DateTime(), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.Column('resource', sa.String(length=255), nullable=False),
    sa.Column('hard_limit', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quotas')),
    sa.UniqueConstraint('tenant_id', 'resource', name=op.f('uq_quotas_tenant_id_resource'))
    )
    op.create_table('reservations',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=True),
    sa.Column('updated', sa.DateTime(), nullable=True),
    sa.Column('usage_id', sa.String(length=36), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reservations'))
    )
    op.create_table('root_enabled_history',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user', sa.String(length=255), nullable=True),
    sa.Column('created', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_root_enabled_history'))
    )
    op.create_table('service_statuses',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=False),
    sa.Column('status_id', sa.Integer(), nullable=False),
    sa.Column('status_description', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_statuses'))
    )
    with op.batch_alter_table('service_statuses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_statuses_instance_id'), ['instance_id'], unique=True)

    op.create_table('datastore_versions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('datastore_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('image_id', sa.String(length=36), nullable=True),
    sa.Column('image_tags', sa.String(length=255), nullable=True),
    sa.Column('packages', sa.String(length=511), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('manager', sa.String(length=255), nullable=True),
    sa.Column('version', sa.String(length=255), nullable=True),
    sa.Column('registry_ext', sa.Text(), nullable=False),
    sa.Column('repl_strategy', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['datastore_id'], ['datastores.id'], name=op.f('fk_datastore_versions_datastore_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_datastore_versions')),
    sa.UniqueConstraint('datastore_id', 'name', 'version', name=op.f('uq_datastore_versions_datastore_id_name_version'))
    )
    op.create_table('backups',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=512), nullable=True),
    sa.Column('location', sa.String(length=1024), nullable=True),
    sa.Column('backup_type', sa.String(length=32), nullable=True),
    sa.Column('size', sa.Float(), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=True),
    sa.Column('checksum', sa.String(length=32), nullable=True),
    sa.Column('backup_timestamp', sa.DateTime(), nullable=True),
    sa.Column('deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=True),
    sa.Column('updated', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('parent_id', sa.String(length=36), nullable=True),
    sa.Column('datastore_version_id', sa.String(length=36), nullable=True),
    sa.Column('storage_driver', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['datastore_version_id'], ['datastore_versions.id'], name=op.f('fk_backups_datastore_version_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_backups'))
    )
    with op.batch_alter_table('backups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_backups_deleted'), ['deleted'], unique=False)
        batch_op.create_index(batch_op.f('ix_backups_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_backups_tenant_id_deleted_updated', ['tenant_id', 'deleted', 'updated'], unique=False)

    op.create_table('configurations',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('description', sa.String(length=256), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.Column('datastore_version_id', sa.String(length=36), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('created', sa.DateTime(), nullable=True),
    sa.Column('updated', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['datastore_version_id'], ['datastore_versions.id'], name=op.f('fk_configurations_datastore_version_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_configurations'))
    )
    with op.batch_alter_table('configurations', schema=None) as batch_op:
        batch_op.create_index('ix_configurations_tenant_id_deleted', ['tenant_id', 'deleted'], unique=False)

    op.create_table('datastore_configuration_parameters',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('datastore_version_id', sa.String(length=36), nullable=False),
    sa.Column('restart_required', sa.Boolean(), nullable=False),
    sa.Column('max_size', sa.String(length=40), nullable=True),
    sa.Column('min_size', sa.String(length=40), nullable=True),
    sa.Column('data_type', sa.String(length=128), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['datastore_version_id'], ['datastore_versions.id'], name=op.f('fk_datastore_configuration_parameters_datastore_version_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_datastore_configuration_parameters')),
    sa.UniqueConstraint('datastore_version_id', 'name', name=op.f('uq_datastore_configuration_parameters_datastore_version_id_name'))
    )
    op.create_table('datastore_version_metadata',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('datastore_version_id', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('value', sa.String(length=128), nullable=True),
    sa.Column('created', sa.DateTime(), nullable=True),
    sa.Column('deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['datastore_version_id'], ['datastore_versions.id'], name=op.f('fk_datastore_version_metadata_datastore_version_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_datastore_version_metadata')),
    sa.UniqueConstraint('datastore_version_id', 'key', 'value', name=op.f('uq_datastore_version_metadata_datastore_version_id_key_value'))
    )
    op.create_table('clusters',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=True),
    sa.Column('updated', sa.DateTime(), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.Column('datastore_version_id', sa.String(length=36), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('configuration_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['configuration_id'], ['configurations.id'], name=op.f('fk_clusters_configuration_id')),
    sa.ForeignKeyConstraint(['datastore_version_id'], ['datastore_versions.id'], name=op.f('fk_clusters_datastore_version_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clusters'))
    )
    with op.batch_alter_table('clusters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clusters_deleted'), ['deleted'], unique=False)
        batch_op.create_index(batch_op.f('ix_clusters_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('configuration_parameters',
    sa.Column('configuration_id', sa.String(length=36), nullable=False),
    sa.Column('configuration_key', sa.String(length=128), nullable=False),
    sa.Column('configuration_value', sa.String(length=128), nullable=True),
    sa.Column('deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['configuration_id'], ['configurations.id'], name=op.f('fk_configuration_parameters_configuration_id')),
    sa.PrimaryKeyConstraint('configuration_id', 'configuration_key', name=op.f('pk_configuration_parameters'))
    )
    op.create_table('instances',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=True),
    sa.Column('updated', sa.DateTime(), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('hostname', sa.String(length=255), nullable=True),
    sa.Column('compute_instance_id', sa.String(length=36), nullable=True),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('task_description', sa.String(length=255), nullable=True),
    sa.Column('task_start_time', sa.DateTime(), nullable=True),
    sa.Column('volume_id', sa.String(length=36), nullable=True),
    sa.Column('flavor_id', sa.String(length=255), nullable=True),
    sa.Column('volume_size', sa.Integer(), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('server_status', sa.String(length=64), nullable=True),
    sa.Column('deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('datastore_version_id', sa.String(length=36), nullable=True),
    sa.Column('configuration_id', sa.String(length=36), nullable=True),
    sa.Column('slave_of_id', sa.String(length=36), nullable=True),
    sa.Column('cluster_id', sa.String(length=36), nullable=True),
    sa.Column('shard_id', sa.String(length=36), nullable=True),
    sa.Column('type', sa.String(length=64), nullable=True),
    sa.Column('region_id', sa.String(length=255), nullable=True),
    sa.Column('encrypted_key', sa.String(length=255), nullable=True),
    sa.Column('access', sa.Text(), nullable=True),
    sa.Column('ssl_mode', sa.String(length=16), nullable=True),
    sa.Column('ssl_ref', sa.Text(), nullable=True),
    sa.Column('addresses', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['cluster_id'], ['clusters.id'], name=op.f('fk_instances_cluster_id')),
    sa.ForeignKeyConstraint(['configuration_id'], ['configurations.id'], name=op.f('fk_instances_configuration_id')),
    sa.ForeignKeyConstraint(['datastore_version_id'], ['datastore_versions.id'], name=op.f('fk_instances_datastore_version_id')),
    sa.ForeignKeyConstraint(['slave_of_id'], ['instances.id'], name=op.f('fk_instances_slave_of_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instances'))
    )
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instances_cluster_id'), ['cluster_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_instances_deleted'), ['deleted'], unique=False)
        batch_op.create_index(batch_op.f('ix_instances_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_instances_tenant_id_deleted_created', ['tenant_id', 'deleted', 'created'], unique=False)

    op.create_table('instance_faults',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=False),
    sa.Column('message', sa.String(length=255), nullable=False),
    sa.Column('details', sa.Text(), nullable=True),
    sa.Column('created', sa.DateTime(), nullable=True),
    sa.Column('updated', sa.DateTime(), nullable=True),
    sa.Column('deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_instance_faults_instance_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instance_faults'))
    )
    with op.batch_alter_table('instance_faults', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instance_faults_instance_id'), ['instance_id'], unique=False)

    op.create_table('instance_modules',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=False),
    sa.Column('module_id', sa.String(length=64), nullable=False),
    sa.Column('md5', sa.String(length=32), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=True),
    sa.Column('updated', sa.DateTime(), nullable=True),
    sa.Column('deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_instance_modules_instance_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_instance_modules_module_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instance_modules'))
    )
