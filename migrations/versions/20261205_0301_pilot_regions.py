"""Pilot regions (issue 17, part 2): the 2–3 regions chosen from a baseline round, proposed by staff, confirmed by an admin.

Revision ID: f17pilo0301
Revises: e16conv0201
"""
from alembic import op
import sqlalchemy as sa

import wfsurvey.database

revision = "f17pilo0301"
down_revision = "e16conv0201"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pilot_regions",
        sa.Column("region", sa.String(length=80), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("selected_at", wfsurvey.database.UTCDateTime(), nullable=False),
        sa.Column("selected_by", sa.String(length=80), nullable=False),
        sa.Column("confirmed_at", wfsurvey.database.UTCDateTime(), nullable=True),
        sa.Column("confirmed_by", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"], name=op.f("fk_pilot_regions_round_id_rounds")),
        sa.PrimaryKeyConstraint("region", name=op.f("pk_pilot_regions")),
    )
    with op.batch_alter_table("pilot_regions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pilot_regions_round_id"), ["round_id"], unique=False)


def downgrade():
    with op.batch_alter_table("pilot_regions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pilot_regions_round_id"))
    op.drop_table("pilot_regions")
