"""Indexes and schema for the outbox delivery and fixes (issue 6).

Revision ID: b6a4dlvr0005
Revises: b6a3lnch0004
"""
from alembic import op
import sqlalchemy as sa

import wfsurvey.database

revision = "b6a4dlvr0005"
down_revision = "b6a3lnch0004"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
