"""The outbox's claim state in columns of its own (claim_stage, claim_batch, claim_stage_at), out of last_error.

A sender used to keep "claimed:<batch>:<time>" or "sending:<batch>:<time>" in last_error while a row
was in status "sending"; rows caught in that state are carried over, so a sender that crashed before
the upgrade is still recovered as it would have been.

Revision ID: b6a7clam0007
Revises: b6a5evrd0006
"""
import sqlalchemy as sa
from alembic import op

import wfsurvey.database

revision = "b6a7clam0007"
down_revision = "b6a5evrd0006"
branch_labels = None
depends_on = None

outbox = sa.table(
    "outbox", sa.column("id", sa.Integer), sa.column("status", sa.String), sa.column("last_error", sa.Text),
    sa.column("claim_stage", sa.String), sa.column("claim_batch", sa.String),
    sa.column("claim_stage_at", wfsurvey.database.UTCDateTime()),
)


def _parse(marker):
    """(stage, batch, time) of an old marker, or None (recovery then treats the row as in doubt, as before)."""
    import datetime as dt

    try:
        stage, batch, when = (marker or "").split(":", 2)
        at = dt.datetime.fromisoformat(when)
    except ValueError:
        return None
    if stage not in ("claimed", "sending"):
        return None
    return stage, batch, at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)


def upgrade():
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim_stage", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("claim_batch", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("claim_stage_at", wfsurvey.database.UTCDateTime(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.select(outbox.c.id, outbox.c.last_error).where(outbox.c.status == "sending")).all()
    for row_id, marker in rows:
        parsed = _parse(marker)
        values = {"last_error": None}
        if parsed is not None:
            values.update(claim_stage=parsed[0], claim_batch=parsed[1], claim_stage_at=parsed[2])
        bind.execute(sa.update(outbox).where(outbox.c.id == row_id).values(**values))


def downgrade():
    bind = op.get_bind()
    rows = bind.execute(sa.select(outbox.c.id, outbox.c.claim_stage, outbox.c.claim_batch, outbox.c.claim_stage_at)
                        .where(outbox.c.status == "sending")).all()
    for row_id, stage, batch, at in rows:
        marker = f"{stage}:{batch}:{at.isoformat()}" if stage and batch and at else None
        bind.execute(sa.update(outbox).where(outbox.c.id == row_id).values(last_error=marker))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("claim_stage_at")
        batch_op.drop_column("claim_batch")
        batch_op.drop_column("claim_stage")
