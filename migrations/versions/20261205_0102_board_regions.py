"""Region membership of a round's local boards as rows (issue 15): proj_board_regions, one row per (round, region,
board invitation), filled here from the invitation projection's comma-joined region lists, as a replay of the log
would fill it. The designation policy finds a region's boards through its primary key instead of matching every
board's list with LIKE.

Revision ID: d15regm0102
Revises: c12a0pen0012
"""
from alembic import op
import sqlalchemy as sa

revision = "d15regm0102"
down_revision = "c12a0pen0012"
branch_labels = None
depends_on = None

#: Only local boards nominate (wfsurvey.domain.designation.NOMINATING_ORG_TYPE, as of this revision).
NOMINATING_ORG_TYPE = "lwib"


def upgrade():
    members = op.create_table(
        "proj_board_regions",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=80), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("round_id", "region", "invitation_id", name=op.f("pk_proj_board_regions")),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT p.round_id, p.invitation_id, i.organization_id, p.regions FROM proj_invitation_progress p "
        "JOIN invitations i ON i.id = p.invitation_id WHERE p.org_type = :kind ORDER BY p.invitation_id"),
        {"kind": NOMINATING_ORG_TYPE}).all()
    batch = []
    for round_id, invitation_id, organization_id, regions in rows:
        for code in dict.fromkeys(c for c in (regions or "").split(",") if c):
            batch.append({"round_id": round_id, "region": code, "invitation_id": invitation_id,
                          "organization_id": organization_id})
        if len(batch) >= 5000:
            op.bulk_insert(members, batch)
            batch = []
    if batch:
        op.bulk_insert(members, batch)


def downgrade():
    op.drop_table("proj_board_regions")
