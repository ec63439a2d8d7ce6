"""Background work: mail to the panel goes through the task queue (settings.TASKS)."""

from django.core.mail import send_mail
from django_tasks import task


@task()
def email_send(*, subject: str, body: str, to: list[str]) -> int:
    """One message to each address; a recipient never sees who else got it."""
    return sum(send_mail(subject, body, None, [address]) for address in to)
