"""Restore drills run by a backup schedule, and drills of a PITR point

Revision ID: 0014
Revises: 0013
"""

from alembic import op
import sqlalchemy as sa

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('backup_schedules') as batch:
        batch.add_column(sa.Column('action', sa.String(length=16),
                                   nullable=False, server_default='backup'))
        batch.add_column(sa.Column('drill_query', sa.Text(), nullable=True))
        batch.add_column(sa.Column('drill_database', sa.String(length=255),
                                   nullable=True))
        batch.add_column(sa.Column('drill_restore_time',
                                   sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('last_drill_id', sa.String(length=36),
                                   nullable=True))
    with op.batch_alter_table('backup_drills') as batch:
        batch.add_column(sa.Column('restore_time', sa.String(length=64),
                                   nullable=True))
        batch.add_column(sa.Column('schedule_id', sa.String(length=36),
                                   nullable=True))


def downgrade():
    with op.batch_alter_table('backup_drills') as batch:
        batch.drop_column('schedule_id')
        batch.drop_column('restore_time')
    with op.batch_alter_table('backup_schedules') as batch:
        batch.drop_column('last_drill_id')
        batch.drop_column('drill_restore_time')
        batch.drop_column('drill_database')
        batch.drop_column('drill_query')
        batch.drop_column('action')
