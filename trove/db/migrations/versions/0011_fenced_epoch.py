"""Automatic failover: the epoch in which a failed primary was fenced
(NULL: not fenced). Its guest asks for it when it starts (conductor
``replication_standing``) and keeps its engine read-only while it is set.

Revision ID: 0011
Revises: 0010
"""

from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('instances') as batch:
        batch.add_column(sa.Column('fenced_epoch', sa.Integer(),
                                   nullable=True))


def downgrade():
    with op.batch_alter_table('instances') as batch:
        batch.drop_column('fenced_epoch')
