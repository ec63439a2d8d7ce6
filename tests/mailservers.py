"""A mail server for tests that refuses some addresses, as a real one does (settings.EMAIL_BACKEND)."""

import smtplib

from django.core.mail.backends.locmem import EmailBackend

REFUSED: set[str] = set()


class RefusingBackend(EmailBackend):
    """Django's test outbox, but a message to an address in REFUSED fails as an SMTP server's refusal does."""

    def send_messages(self, messages):
        for message in messages:
            refused = set(message.recipients()) & REFUSED
            if refused:
                raise smtplib.SMTPRecipientsRefused({address: (550, b"5.1.1 Mailbox unavailable") for address in refused})
        return super().send_messages(messages)
