"""The surveys app's models, one module per side of SPEC 5's divide.

- studies: the study, its scale, rule and settings;
- rounds: rounds, items, their options and lineage;
- people: the person side (memberships, completion, invitations);
- answers: the pseudonymous side (participants, answers, submissions);
- audit: the study's history.
"""

from surveys.models.answers import Answer, AnswerOption, Participant, Submission
from surveys.models.audit import AuditEvent
from surveys.models.people import Invitation, Membership, RoundCompletion
from surveys.models.rounds import Item, ItemLink, ItemOption, Round
from surveys.models.studies import Study, TimeStampedModel

__all__ = [
    "Answer",
    "AnswerOption",
    "AuditEvent",
    "Invitation",
    "Item",
    "ItemLink",
    "ItemOption",
    "Membership",
    "Participant",
    "Round",
    "RoundCompletion",
    "Study",
    "Submission",
    "TimeStampedModel",
]
