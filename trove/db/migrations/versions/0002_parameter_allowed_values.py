"""Allowed values of configuration parameters (enum and set types)

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    # JSON {"values": [...], "multiple": bool}; NULL for free values.
    with op.batch_alter_table('datastore_configuration_parameters') as batch:
        batch.add_column(sa.Column('allowed_values', sa.Text(),
                                   nullable=True))
