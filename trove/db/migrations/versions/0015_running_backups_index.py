"""An index on backups (state, deleted, instance_id): the running backups
every page of instances asks about are read from it

Revision ID: 0015
Revises: 0014
"""

from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('backups') as batch:
        batch.create_index('ix_backups_state_deleted_instance_id',
                           ['state', 'deleted', 'instance_id'])


def downgrade():
    with op.batch_alter_table('backups') as batch:
        batch.drop_index('ix_backups_state_deleted_instance_id')
