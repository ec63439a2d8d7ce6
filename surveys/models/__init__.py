"""The surveys app's models, one module per side of SPEC 5's divide.

- studies: the study, its scale, rule and settings;
- rounds: rounds, items, their options and lineage;
- people: the person side (memberships, sealed ballots, invitations, password-reset requests);
- answers: the pseudonymous side (participants, answers, submissions);
- audit: the study's history.
"""

from surveys.models.answers import Answer, AnswerOption, Participant, Submission
from surveys.models.audit import AuditEvent
from surveys.models.people import Ballot, Invitation, Membership, PasswordResetRequest
from surveys.models.rounds import Item, ItemLink, ItemOption, Round, RoundFigures
from surveys.models.studies import ProtocolDeviation, Study, TimeStampedModel

__all__ = [
    "Answer",
    "AnswerOption",
    "AuditEvent",
    "Ballot",
    "Invitation",
    "Item",
    "ItemLink",
    "ItemOption",
    "Membership",
    "Participant",
    "PasswordResetRequest",
    "ProtocolDeviation",
    "Round",
    "RoundFigures",
    "Study",
    "Submission",
    "TimeStampedModel",
]
