"""Round operations (issue 12): a round may open when it is launched (rounds.opens_on_launch), and a round opened
ahead of its time by "Open now" keeps that time to be scheduled back to it (rounds.planned_opens_at).

Revision ID: c12a0pen0012
Revises: c7a1tokr0101
"""
from alembic import op
import sqlalchemy as sa

import wfsurvey.database

revision = "c12a0pen0012"
down_revision = "c7a1tokr0101"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (both databases have it): a batch on SQLite would copy and drop `rounds`, which the foreign
    # keys of a database with invitations refuse.
    op.add_column("rounds", sa.Column("opens_on_launch", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("rounds", sa.Column("planned_opens_at", wfsurvey.database.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.drop_column("planned_opens_at")
        batch_op.drop_column("opens_on_launch")
