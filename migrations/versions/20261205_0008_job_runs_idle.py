"""Job runs: an index on started_at (runs older than 30 days are deleted through it) and an `idle` flag (a run that
did nothing), so that the jobs page lists the runs that did something and counts the idle ones per hour.

Runs of the last 30 days are marked idle as the jobs page would judge them now; older ones are left for the
first job run after the upgrade to delete.

Revision ID: b6a8jobs0008
Revises: b6a7clam0007
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

import wfsurvey.database

revision = "b6a8jobs0008"
down_revision = "b6a7clam0007"
branch_labels = None
depends_on = None

#: The counts that meant "did something" for each job when this migration was written (a copy: a migration must
#: not change with the code). Any other job: any count above zero.
ACTIONS = {
    "windows": ("opened", "closed"),
    "reminders": ("queued",),
    "delivery": ("sent", "retried", "failed", "unknown", "released", "skipped"),
    "designations": ("changed",),
}
BATCH = 5000

job_runs = sa.table(
    "job_runs", sa.column("id", sa.Integer), sa.column("job", sa.String), sa.column("counts", sa.JSON),
    sa.column("error", sa.Text), sa.column("finished_at", wfsurvey.database.UTCDateTime()),
    sa.column("started_at", wfsurvey.database.UTCDateTime()), sa.column("idle", sa.Boolean),
)


def _idle(job, counts, error):
    if error:
        return False
    counts = counts or {}
    names = ACTIONS.get(job, tuple(counts))
    return not any(isinstance(counts.get(n), int) and not isinstance(counts.get(n), bool) and counts.get(n) > 0
                   for n in names)


def upgrade():
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idle", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f("ix_job_runs_started_at"), ["started_at"], unique=False)
    bind = op.get_bind()
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30)
    after = 0
    while True:
        rows = bind.execute(
            sa.select(job_runs.c.id, job_runs.c.job, job_runs.c.counts, job_runs.c.error)
            .where(job_runs.c.id > after, job_runs.c.started_at >= since, job_runs.c.finished_at.is_not(None))
            .order_by(job_runs.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        idle = [row.id for row in rows if _idle(row.job, row.counts, row.error)]
        if idle:
            bind.execute(sa.update(job_runs).where(job_runs.c.id.in_(idle)).values(idle=True))
        after = rows[-1].id


def downgrade():
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_runs_started_at"))
        batch_op.drop_column("idle")
