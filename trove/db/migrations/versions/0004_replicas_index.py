"""An index on instances.slave_of_id: the replicas of an instance are read
with every page of instances

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('instances') as batch:
        batch.create_index('ix_instances_slave_of_id', ['slave_of_id'])
