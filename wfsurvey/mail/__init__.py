"""Survey email: rendering (render), queuing (outbox), transports (SMTP, dev mailbox) and delivery with retries (sender)."""
