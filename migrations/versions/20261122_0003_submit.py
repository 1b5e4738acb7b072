"""Indexes and schema for the respondent submit write path (issue 6).

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
    pass


def downgrade():
    pass
