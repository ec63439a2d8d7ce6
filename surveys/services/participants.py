"""Pseudonyms of the panel (SPEC 5): given in random order, found through the keyed link."""

import secrets

from django.db import transaction

from surveys.models import Membership, Participant, Study
from surveys.pseudonyms import free_labels, participant_link_hash


def _taken_labels(study: Study) -> set[str]:
    return set(Participant.objects.filter(study=study).values_list("label", flat=True))


@transaction.atomic
def participants_assign(*, study: Study) -> int:
    """Gives every panelist of the study a pseudonym, in random order.

    Pseudonyms are numbered P01, P02 ... in a shuffled order of the panel, so
    neither the label nor the row order follows the order people joined.
    Returns how many were created.
    """
    user_ids = list(
        Membership.objects.filter(study=study, role=Membership.Role.PANELIST).values_list("user_id", flat=True)
    )
    existing = set(Participant.objects.filter(study=study).values_list("link_hash", flat=True))
    hashes = [
        link_hash
        for link_hash in (participant_link_hash(study_id=study.pk, user_id=uid) for uid in user_ids)
        if link_hash not in existing
    ]
    secrets.SystemRandom().shuffle(hashes)
    labels = free_labels(taken=_taken_labels(study), count=len(hashes))
    Participant.objects.bulk_create(
        Participant(study=study, label=label, link_hash=link_hash) for label, link_hash in zip(labels, hashes)
    )
    return len(hashes)


@transaction.atomic
def participant_for(*, study: Study, user) -> Participant:
    """The pseudonym of `user` in `study`, created on first use."""
    link_hash = participant_link_hash(study_id=study.pk, user_id=user.pk)
    participant = Participant.objects.filter(study=study, link_hash=link_hash).first()
    if participant is None:
        # Lock the study row so that two first answers cannot take one label.
        Study.objects.select_for_update().get(pk=study.pk)
        (label,) = free_labels(taken=_taken_labels(study), count=1)
        participant = Participant.objects.create(study=study, label=label, link_hash=link_hash)
    return participant
