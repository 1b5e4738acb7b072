"""Round series (issue 17, part 4): round_series, and each round's series and period, unique together.

Revision ID: f17seri0302
Revises: f17pilo0301
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import wfsurvey.database

revision = "f17seri0302"
down_revision = "f17pilo0301"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "round_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("cadence", sa.String(length=8), nullable=False),
        sa.Column("first_period_end", sa.Date(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("open_days_before", sa.Integer(), nullable=False),
        sa.Column("close_days_after", sa.Integer(), nullable=False),
        sa.Column("audience", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False),
        sa.Column("reminders", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False),
        sa.Column("created_at", wfsurvey.database.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_series")),
    )
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("series_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("period", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_rounds_series_id"), ["series_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_rounds_series_id_round_series"), "round_series", ["series_id"], ["id"])
        batch_op.create_unique_constraint(batch_op.f("uq_rounds_series_id_period"), ["series_id", "period"])


def downgrade():
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_rounds_series_id_period"), type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_rounds_series_id_round_series"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_rounds_series_id"))
        batch_op.drop_column("period")
        batch_op.drop_column("series_id")
    op.drop_table("round_series")
