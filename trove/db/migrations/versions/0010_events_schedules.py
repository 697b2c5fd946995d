"""The event log of instances, backup schedules and restore drills; the
schedule that took a backup and its last drill

Revision ID: 0010
Revises: 0008
"""

from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None

EventId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table(
        'instance_events',
        sa.Column('id', EventId, autoincrement=True, nullable=False),
        sa.Column('instance_id', sa.String(length=36), nullable=False),
        sa.Column('created', sa.DateTime(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('actor', sa.String(length=255), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('request_id', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_instance_events')))
    with op.batch_alter_table('instance_events') as batch:
        batch.create_index('ix_instance_events_instance_id_id',
                           ['instance_id', 'id'])
        batch.create_index('ix_instance_events_created', ['created'])
    op.create_table(
        'backup_schedules',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('tenant_id', sa.String(length=36), nullable=False),
        sa.Column('instance_id', sa.String(length=36), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('description', sa.String(length=512), nullable=True),
        sa.Column('cron', sa.String(length=255), nullable=True),
        sa.Column('interval_s', sa.Integer(), nullable=True),
        sa.Column('full_every', sa.Integer(), server_default='1',
                  nullable=False),
        sa.Column('retain_count', sa.Integer(), nullable=True),
        sa.Column('retain_days', sa.Integer(), nullable=True),
        sa.Column('storage_driver', sa.String(length=32), nullable=True),
        sa.Column('swift_container', sa.String(length=255), nullable=True),
        sa.Column('runs', sa.Integer(), server_default='0', nullable=False),
        sa.Column('next_run_at', sa.DateTime(), nullable=False),
        sa.Column('last_run_at', sa.DateTime(), nullable=True),
        sa.Column('last_backup_id', sa.String(length=36), nullable=True),
        sa.Column('last_result', sa.String(length=512), nullable=True),
        sa.Column('created', sa.DateTime(), nullable=True),
        sa.Column('updated', sa.DateTime(), nullable=True),
        sa.Column('deleted', sa.Boolean(), server_default=sa.false(),
                  nullable=False),
        sa.Column('deleted_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_backup_schedules')))
    with op.batch_alter_table('backup_schedules') as batch:
        batch.create_index('ix_backup_schedules_instance_id',
                           ['instance_id'])
        batch.create_index('ix_backup_schedules_deleted_next_run_at',
                           ['deleted', 'next_run_at'])
    with op.batch_alter_table('backups') as batch:
        batch.add_column(sa.Column('schedule_id', sa.String(length=36),
                                   nullable=True))
        batch.create_index('ix_backups_schedule_id', ['schedule_id'])
        batch.add_column(sa.Column('progress', sa.String(length=255),
                                   nullable=True))
        batch.add_column(sa.Column('last_verified_at', sa.DateTime(),
                                   nullable=True))
        batch.add_column(sa.Column('last_drill_rto_s', sa.Float(),
                                   nullable=True))
        batch.add_column(sa.Column('last_drill_result', sa.String(length=1024),
                                   nullable=True))
    op.create_table(
        'backup_drills',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('backup_id', sa.String(length=36), nullable=False),
        sa.Column('tenant_id', sa.String(length=36), nullable=False),
        sa.Column('instance_id', sa.String(length=36), nullable=True),
        sa.Column('sandbox_id', sa.String(length=36), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('ready_at', sa.DateTime(), nullable=True),
        sa.Column('rto_s', sa.Float(), nullable=True),
        sa.Column('result', sa.String(length=1024), nullable=True),
        sa.Column('created', sa.DateTime(), nullable=True),
        sa.Column('updated', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_backup_drills')))
    with op.batch_alter_table('backup_drills') as batch:
        batch.create_index('ix_backup_drills_backup_id', ['backup_id'])
        batch.create_index('ix_backup_drills_state', ['state'])
