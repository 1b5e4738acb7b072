"""What an invitation's status allows: the statuses, and which of them each move accepts."""
from __future__ import annotations

#: pending -> sent -> started -> submitted, or forwarded / bounced / opted_out (the database checks the same list).
INVITATION_STATUSES = ("pending", "sent", "started", "submitted", "forwarded", "bounced", "opted_out")
#: A link in these states can be passed on to a colleague.
FORWARDABLE = ("pending", "sent", "started")
#: A link in these states no longer takes answers: it was passed on, or its person asked for no more mail.
CLOSED = ("forwarded", "opted_out")
#: Unanswered invitations that an opt-out stops (the person's own, or one staff were told of).
STOPPABLE = ("pending", "sent", "started", "bounced")
#: A first saved draft marks these started (a bounced address that answers anyway was reached after all).
NOT_STARTED = ("pending", "sent", "bounced")
#: Nothing is resent to these.
NOT_RESENDABLE = ("opted_out", "forwarded", "submitted")
#: Invitations out of the running: a round's "not answered yet" leaves them out.
SETTLED = ("submitted", "forwarded")
