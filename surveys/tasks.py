"""Background work: mail to the panel goes through the task queue (settings.TASKS)."""

from django.core.mail import send_mail
from django_tasks import task


@task()
def email_send(*, subject: str, body: str, to: list[str]) -> int:
    """One message to each address; a recipient never sees who else got it."""
    return sum(send_mail(subject, body, None, [address]) for address in to)


@task()
def emails_send(*, messages: list[dict]) -> int:
    """Messages that differ per person (each invitation carries its own link)."""
    return sum(send_mail(m["subject"], m["body"], None, [m["to"]]) for m in messages)
