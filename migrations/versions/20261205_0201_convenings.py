"""Convenings (issue 16): convenings, their invitations (RSVP, waitlist, attendance) and outcome notes; access tokens
open a round's invitation or a convening's (invitation_id now nullable, exactly one of the two set); outbox rows may
name a convening and carry attachments (the .ics).

Revision ID: e16conv0201
Revises: d15regm0102
"""
from alembic import op
import sqlalchemy as sa

import wfsurvey.database
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'e16conv0201'
down_revision = 'd15regm0102'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('convenings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('regions', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('starts_at', wfsurvey.database.UTCDateTime(), nullable=False),
    sa.Column('ends_at', wfsurvey.database.UTCDateTime(), nullable=False),
    sa.Column('location', sa.String(length=500), nullable=False),
    sa.Column('online_url', sa.String(length=500), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('audience', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('reminders', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('created_at', wfsurvey.database.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('invited_at', wfsurvey.database.UTCDateTime(), nullable=True),
    sa.Column('cancelled_at', wfsurvey.database.UTCDateTime(), nullable=True),
    sa.Column('held_at', wfsurvey.database.UTCDateTime(), nullable=True),
    sa.CheckConstraint("state IN ('draft', 'scheduled', 'held', 'cancelled')", name=op.f('ck_convenings_state')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_convenings'))
    )
    with op.batch_alter_table('convenings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_convenings_state'), ['state'], unique=False)

    op.create_table('outcome_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('convening_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('regions', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('organization_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', wfsurvey.database.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['convening_id'], ['convenings.id'], name=op.f('fk_outcome_notes_convening_id_convenings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_notes'))
    )
    with op.batch_alter_table('outcome_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_notes_convening_id'), ['convening_id'], unique=False)

    op.create_table('convening_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('convening_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('issued_at', wfsurvey.database.UTCDateTime(), nullable=False),
    sa.Column('sent_at', wfsurvey.database.UTCDateTime(), nullable=True),
    sa.Column('answer', sa.String(length=8), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('needs', sa.Text(), nullable=False),
    sa.Column('answered_at', wfsurvey.database.UTCDateTime(), nullable=True),
    sa.Column('waitlist_seq', sa.Integer(), nullable=True),
    sa.Column('attended', sa.Boolean(), nullable=False),
    sa.Column('attended_at', wfsurvey.database.UTCDateTime(), nullable=True),
    sa.Column('reminders_sent', sa.Integer(), nullable=False),
    sa.CheckConstraint("answer IS NULL OR answer IN ('yes', 'no', 'maybe')", name=op.f('ck_convening_invitations_answer')),
    sa.CheckConstraint("status IN ('pending', 'sent', 'bounced', 'walk_in')", name=op.f('ck_convening_invitations_status')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_convening_invitations_contact_id_contacts')),
    sa.ForeignKeyConstraint(['convening_id'], ['convenings.id'], name=op.f('fk_convening_invitations_convening_id_convenings')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_convening_invitations_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_convening_invitations')),
    sa.UniqueConstraint('convening_id', 'contact_id', name=op.f('uq_convening_invitations_convening_id_contact_id'))
    )
    with op.batch_alter_table('convening_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_convening_invitations_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_convening_invitations_convening_id'), ['convening_id'], unique=False)
        batch_op.create_index('ix_convening_invitations_organization', ['organization_id', 'convening_id'], unique=False)

    with op.batch_alter_table('access_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('convening_invitation_id', sa.Integer(), nullable=True))
        batch_op.alter_column('invitation_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_access_tokens_convening_invitation_id'), ['convening_invitation_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_access_tokens_convening_invitation_id_convening_invitations'), 'convening_invitations', ['convening_invitation_id'], ['id'], ondelete='CASCADE')
        batch_op.create_check_constraint(op.f('ck_access_tokens_opens_one'),
                                         '(invitation_id IS NULL) <> (convening_invitation_id IS NULL)')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('convening_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('convening_invitation_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('attachments', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_convening_id'), ['convening_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_convening_invitation_id'), ['convening_invitation_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_convening_invitation_id_convening_invitations'), 'convening_invitations', ['convening_invitation_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_outbox_convening_id_convenings'), 'convenings', ['convening_id'], ['id'])



def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_convening_id_convenings'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_outbox_convening_invitation_id_convening_invitations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_convening_invitation_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_convening_id'))
        batch_op.drop_column('attachments')
        batch_op.drop_column('convening_invitation_id')
        batch_op.drop_column('convening_id')

    with op.batch_alter_table('access_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_access_tokens_opens_one'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_access_tokens_convening_invitation_id_convening_invitations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_access_tokens_convening_invitation_id'))
        batch_op.alter_column('invitation_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('convening_invitation_id')

    with op.batch_alter_table('convening_invitations', schema=None) as batch_op:
        batch_op.drop_index('ix_convening_invitations_organization')
        batch_op.drop_index(batch_op.f('ix_convening_invitations_convening_id'))
        batch_op.drop_index(batch_op.f('ix_convening_invitations_contact_id'))

    op.drop_table('convening_invitations')
    with op.batch_alter_table('outcome_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_notes_convening_id'))

    op.drop_table('outcome_notes')
    with op.batch_alter_table('convenings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_convenings_state'))

    op.drop_table('convenings')
