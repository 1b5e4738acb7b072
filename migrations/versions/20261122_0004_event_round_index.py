"""Index the event log by the round its payload names (the event-log page's round filter).

Revision ID: b6a5evrd0006
Revises: b6a2subm0003
"""
from alembic import op
import sqlalchemy as sa

revision = "b6a5evrd0006"
down_revision = "b6a2subm0003"
branch_labels = None
depends_on = None

#: The expression SQLAlchemy renders for EventRecord.payload["round_id"].as_integer() on each dialect.
EXPRESSION = {
    "sqlite": """JSON_EXTRACT(payload, '$."round_id"')""",
    "postgresql": "CAST((payload ->> 'round_id') AS INTEGER)",
}


def upgrade():
    expression = EXPRESSION[op.get_bind().dialect.name]
    op.create_index("ix_events_payload_round", "events", [sa.text(expression)])


def downgrade():
    op.drop_index("ix_events_payload_round", table_name="events")
