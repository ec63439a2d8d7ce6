"""Writes to studies, rounds, items, participants and invitations, one module per job.

Every service is keyword-only, typed and atomic. A refusal is a
ServiceError whose message is for the user; `field` names the form field
it belongs to, where there is one.
"""


class ServiceError(Exception):
    """A request that the rules of the study refuse; the message is for the user."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field
