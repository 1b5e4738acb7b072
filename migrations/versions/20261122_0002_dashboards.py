"""Indexes and schema for the dashboard and baseline read paths (issue 6).

The organisation projection (wfsurvey/projections/organizations.py): its two tables, filled here from the
invitation projection for rounds that already exist (as a replay of the log would fill them). And
invitations indexed by (organization_id, round_id) in place of organization_id alone, so the
non-respondents list can walk organisations in name order and find each one's invitations in a round.

Revision ID: b6a1dash0002
Revises: 576d7046781a
"""
from collections import defaultdict

from alembic import op
import sqlalchemy as sa

import wfsurvey.database

revision = "b6a1dash0002"
down_revision = "576d7046781a"
branch_labels = None
depends_on = None


def upgrade():
    progress = op.create_table(
        "proj_organization_progress",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("org_type", sa.String(length=20), nullable=False),
        sa.Column("regions", sa.String(length=500), nullable=False),
        sa.Column("invitations", sa.Integer(), nullable=False),
        sa.Column("submitted", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("round_id", "organization_id", name=op.f("pk_proj_organization_progress")),
    )
    counts = op.create_table(
        "proj_organization_counts",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=12), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("invited", sa.Integer(), nullable=False),
        sa.Column("responded", sa.Integer(), nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column("awaiting", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("round_id", "scope", "key", name=op.f("pk_proj_organization_counts")),
    )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_invitations_organization_id")
        batch_op.create_index("ix_invitations_organization_round", ["organization_id", "round_id"], unique=False)
    _fill(progress, counts)


def _fill(progress: sa.Table, counts: sa.Table) -> None:
    """Both tables from proj_invitation_progress, as the projection would have made them from the log."""
    bind = op.get_bind()
    orgs: dict[tuple[int, int], dict] = {}
    rows = bind.execute(sa.text(
        "SELECT i.round_id, i.organization_id, i.forwarded_from_id, p.org_type, p.regions, p.submitted "
        "FROM invitations i JOIN proj_invitation_progress p ON p.invitation_id = i.id ORDER BY i.id"))
    for round_id, org_id, forwarded_from, org_type, regions, submitted in rows:
        org = orgs.setdefault((round_id, org_id), {"round_id": round_id, "organization_id": org_id, "org_type": org_type,
                                                   "regions": set(), "invitations": 0, "submitted": 0})
        org["regions"].update(c for c in (regions or "").split(",") if c)
        org["invitations"] += forwarded_from is None
        org["submitted"] += bool(submitted)
    totals: dict[tuple[int, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for org in orgs.values():
        standing, submitted = org["invitations"], org["submitted"]
        share = (int(standing > 0 or submitted > 0), int(submitted > 0), submitted, standing if submitted == 0 else 0)
        keys = [("total", ""), ("org_type", org["org_type"])]
        for code in sorted(org["regions"]):
            keys += [("region", code), ("region_org", f"{code}|{org['org_type']}")]
        for scope, key in keys:
            total = totals[(org["round_id"], scope, key)]
            for i, n in enumerate(share):
                total[i] += n
        org["regions"] = ",".join(sorted(org["regions"]))
    if orgs:
        op.bulk_insert(progress, list(orgs.values()))
    if totals:
        op.bulk_insert(counts, [
            {"round_id": r, "scope": s, "key": k, "invited": v[0], "responded": v[1], "responses": v[2], "awaiting": v[3]}
            for (r, s, k), v in sorted(totals.items())
        ])


def downgrade():
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_invitations_organization_round")
        batch_op.create_index("ix_invitations_organization_id", ["organization_id"], unique=False)
    op.drop_table("proj_organization_counts")
    op.drop_table("proj_organization_progress")
