"""API tokens say who revoked them (issue 14, item 7): api_tokens.revoked_by, next to revoked_at.

Revision ID: c7a1tokr0101
Revises: b6a9resp0009
"""
from alembic import op
import sqlalchemy as sa

revision = "c7a1tokr0101"
down_revision = "b6a9resp0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revoked_by", sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("revoked_by")
