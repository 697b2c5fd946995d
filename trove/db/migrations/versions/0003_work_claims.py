"""Work claims, and the facts of a create kept on the instance

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'work_claims',
        sa.Column('resource_id', sa.String(length=64), nullable=False),
        sa.Column('resource_type', sa.String(length=16), nullable=False),
        sa.Column('flow', sa.String(length=32), nullable=False),
        sa.Column('step', sa.String(length=64), nullable=True),
        sa.Column('owner', sa.String(length=255), nullable=True),
        sa.Column('lease_expires', sa.DateTime(), nullable=False),
        sa.Column('args', sa.Text(), nullable=True),
        sa.Column('state', sa.Text(), nullable=True),
        sa.Column('request_id', sa.String(length=64), nullable=True),
        sa.Column('attempts', sa.Integer(), server_default='0',
                  nullable=False),
        sa.Column('created', sa.DateTime(), nullable=True),
        sa.Column('updated', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('resource_id', name=op.f('pk_work_claims')))
    with op.batch_alter_table('work_claims') as batch:
        batch.create_index('ix_work_claims_lease_expires', ['lease_expires'])
        batch.create_index('ix_work_claims_owner', ['owner'])
    with op.batch_alter_table('instances') as batch:
        batch.add_column(sa.Column('availability_zone', sa.String(255),
                                   nullable=True))
        batch.add_column(sa.Column('volume_type', sa.String(255),
                                   nullable=True))
        batch.add_column(sa.Column('nics', sa.Text(), nullable=True))
        batch.add_column(sa.Column('locality', sa.String(32), nullable=True))
        batch.add_column(sa.Column('server_group_id', sa.String(64),
                                   nullable=True))
