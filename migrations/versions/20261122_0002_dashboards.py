"""Indexes and schema for the dashboard and baseline read paths (issue 6).

Revision ID: b6a1dash0002
Revises: 576d7046781a
"""
from alembic import op
import sqlalchemy as sa

import wfsurvey.database

revision = "b6a1dash0002"
down_revision = "576d7046781a"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
