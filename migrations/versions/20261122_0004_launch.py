"""Indexes and schema for the launch and reminder sweep (issue 6).

Revision ID: b6a3lnch0004
Revises: b6a2subm0003
"""
from alembic import op
import sqlalchemy as sa

import wfsurvey.database

revision = "b6a3lnch0004"
down_revision = "b6a2subm0003"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
