"""Row counts a backup records and the user's query of a restore drill

Revision ID: 0013
Revises: 0012
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

LongText = sa.Text().with_variant(mysql.LONGTEXT(), 'mysql', 'mariadb')


def upgrade():
    with op.batch_alter_table('backups') as batch:
        batch.add_column(sa.Column('row_counts', LongText, nullable=True))
    with op.batch_alter_table('backup_drills') as batch:
        batch.add_column(sa.Column('check_query', sa.Text(), nullable=True))
        batch.add_column(sa.Column('check_database', sa.String(length=255),
                                   nullable=True))


def downgrade():
    with op.batch_alter_table('backup_drills') as batch:
        batch.drop_column('check_database')
        batch.drop_column('check_query')
    with op.batch_alter_table('backups') as batch:
        batch.drop_column('row_counts')
