"""Point-in-time recovery: the archive index and the restores made from it

Revision ID: 0008
Revises: 0006
"""

from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'pitr_archives',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('instance_id', sa.String(length=36), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=True),
        sa.Column('location', sa.String(length=1024), nullable=True),
        sa.Column('checksum', sa.String(length=64), nullable=True),
        sa.Column('size', sa.BigInteger(), nullable=True),
        sa.Column('server_id', sa.String(length=32), nullable=True),
        sa.Column('first_gtid', sa.String(length=255), nullable=True),
        sa.Column('last_gtid', sa.String(length=255), nullable=True),
        sa.Column('first_event', sa.Double(), nullable=True),
        sa.Column('last_event', sa.Double(), nullable=True),
        sa.Column('closed_at', sa.Double(), nullable=True),
        sa.Column('opened_at', sa.Double(), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pitr_archives')),
        sa.UniqueConstraint('instance_id', 'name',
                            name='uq_pitr_archives_instance_id_name'))
    with op.batch_alter_table('pitr_archives') as batch:
        batch.create_index('ix_pitr_archives_instance_id_seq',
                           ['instance_id', 'seq'])
    op.create_table(
        'pitr_restores',
        sa.Column('instance_id', sa.String(length=36), nullable=False),
        sa.Column('source_instance_id', sa.String(length=36),
                  nullable=True),
        sa.Column('backup_id', sa.String(length=36), nullable=True),
        sa.Column('target', sa.Double(), nullable=True),
        sa.Column('reached', sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint('instance_id', name=op.f('pk_pitr_restores')))
