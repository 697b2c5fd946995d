"""Automatic failover: the per-primary settings, the replication epoch and
when the last failover of the set happened

Revision ID: 0006
Revises: 0005
"""

from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('instances') as batch:
        # NULL: the [DEFAULT] auto_failover / replication_mode options.
        batch.add_column(sa.Column('auto_failover', sa.Boolean(),
                                   nullable=True))
        batch.add_column(sa.Column('replication_mode', sa.String(8),
                                   nullable=True))
        batch.add_column(sa.Column('replication_epoch', sa.Integer(),
                                   server_default='0', nullable=False))
        batch.add_column(sa.Column('failover_at', sa.DateTime(),
                                   nullable=True))
