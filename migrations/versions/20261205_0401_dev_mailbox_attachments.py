"""The dev mailbox keeps each message's attachments (a convening invitation's .ics), so staff can see and download them.

Revision ID: f18mbat0401
Revises: f17seri0302
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "f18mbat0401"
down_revision = "f17seri0302"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("dev_mailbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attachments", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()),
                                                                            "postgresql"), nullable=True))


def downgrade():
    with op.batch_alter_table("dev_mailbox", schema=None) as batch_op:
        batch_op.drop_column("attachments")
