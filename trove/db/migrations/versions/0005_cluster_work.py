"""Clusters at work: when the cluster's task started (the stuck-task
check and the view read it) and its locality

Revision ID: 0005
Revises: 0004
"""

from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clusters') as batch:
        batch.add_column(sa.Column('task_start_time', sa.DateTime(),
                                   nullable=True))
        batch.add_column(sa.Column('locality', sa.String(length=255),
                                   nullable=True))
