"""Indexes and schema for the respondent submit write path (issue 6).

proj_invitation_progress indexed by (round_id, org_type) in place of round_id alone: a local
board's answer recomputes the designations of its regions from the answers of their boards, found
through this index rather than through every response of the round.

Revision ID: b6a2subm0003
Revises: b6a1dash0002
"""
from alembic import op
import sqlalchemy as sa

import wfsurvey.database

revision = "b6a2subm0003"
down_revision = "b6a1dash0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("proj_invitation_progress", schema=None) as batch_op:
        batch_op.drop_index("ix_proj_invitation_progress_round_id")
        batch_op.create_index("ix_proj_invitation_progress_round_org_type", ["round_id", "org_type"], unique=False)


def downgrade():
    with op.batch_alter_table("proj_invitation_progress", schema=None) as batch_op:
        batch_op.drop_index("ix_proj_invitation_progress_round_org_type")
        batch_op.create_index("ix_proj_invitation_progress_round_id", ["round_id"], unique=False)
