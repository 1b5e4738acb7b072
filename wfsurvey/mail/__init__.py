"""Survey email: rendering (render), the outbox's rules (outbox), transports (SMTP, dev mailbox) and sending (sender); outcomes are recorded by wfsurvey.services.deliveries."""
