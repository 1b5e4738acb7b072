"""Index a round's responses for the responses list and the raw export: (round, id), and (round, status, last edit, id).

The first replaces the index on round_id alone, which it serves as well.

Revision ID: b6a9resp0009
Revises: b6a8jobs0008
"""
from alembic import op

revision = "b6a9resp0009"
down_revision = "b6a8jobs0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.create_index("ix_responses_round", ["round_id", "id"], unique=False)
        batch_op.create_index("ix_responses_round_status_updated", ["round_id", "status", "updated_at", "id"], unique=False)
        batch_op.drop_index("ix_responses_round_id")


def downgrade():
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.create_index("ix_responses_round_id", ["round_id"], unique=False)
        batch_op.drop_index("ix_responses_round_status_updated")
        batch_op.drop_index("ix_responses_round")
