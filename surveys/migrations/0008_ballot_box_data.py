"""Moves today's data into the ballot box (SPEC 5), losing nothing that counts.

- An open round's answers become each panelist's sealed ballot on the person
  side, draft or submitted as their completion said; its pseudonymous rows go.
- A closed round whose results are not released keeps its counted rows, and
  every panelist's answers there are sealed too, so a reopen finds drafts and
  submissions alike. Drafts that were never submitted are no longer counted
  anywhere: they were never part of the results.
- A released round keeps its counted rows; its completion shrinks to counts.
- Every closed round's pseudonymous rows are written again in one shuffled
  order, and every pseudonym that submitted something is written again in a
  shuffled order, so neither ids nor row order keep the order of first save.
  Pseudonyms that never submitted anything go.
- A round with answers from a response file (pseudonyms without a link) is
  marked imported: it has no ballots to count again.

It reads PARTICIPANT_LINK_KEY and BALLOT_KEY from the environment, as the
running platform does. It can be undone only where no ballot is stored:
the dates it drops are gone.
"""

import secrets

from django.db import migrations

from surveys import ballot
from surveys.pseudonyms import participant_link_hash

BATCH = 2000


def _answers_of(Answer, AnswerOption, *, participant_ids, item_ids):
    """{(participant id, item id): (rating, scale_min, scale_max, text, [(option id, rank)])}."""
    rows = {
        (p, i): [rating, low, high, text, []]
        for p, i, rating, low, high, text in Answer.objects.filter(
            participant_id__in=participant_ids, item_id__in=item_ids
        ).values_list("participant_id", "item_id", "rating", "scale_min", "scale_max", "text")
    }
    for p, i, option, rank in AnswerOption.objects.filter(
        answer__participant_id__in=participant_ids, answer__item_id__in=item_ids
    ).values_list("answer__participant_id", "answer__item_id", "option_id", "rank"):
        rows[(p, i)][4].append((option, rank))
    return rows


def _seal_ballots(apps, round_, participants_by_hash, answers):
    """A sealed ballot for every completion of the round, from that panelist's answers in it."""
    RoundCompletion = apps.get_model("surveys", "RoundCompletion")
    Ballot = apps.get_model("surveys", "Ballot")
    Round = apps.get_model("surveys", "Round")
    planned = []
    for completion in RoundCompletion.objects.filter(round=round_).select_related("membership"):
        membership = completion.membership
        link = participant_link_hash(study_id=round_.study_id, user_id=membership.user_id)
        participant = participants_by_hash.get(link)
        mine = [
            ballot.AnswerInput(
                item_id=item_id,
                rating=rating,
                text=text,
                options=tuple(sorted(options, key=lambda pair: (pair[1] is None, pair[1] or 0, pair[0]))),
            )
            for (p, item_id), (rating, _low, _high, text, options) in answers.items()
            if participant is not None and p == participant
        ]
        planned.append((membership.pk, completion.status, mine))
    size = max([ballot.MIN_SIZE] + [ballot.size_for(mine) for _pk, _status, mine in planned])
    Ballot.objects.bulk_create(
        Ballot(
            round_id=round_.pk,
            membership_id=membership_id,
            status=status,
            sealed=ballot.seal(answers=mine, round_id=round_.pk, membership_id=membership_id, size=size),
        )
        for membership_id, status, mine in planned
    )
    Round.objects.filter(pk=round_.pk).update(ballot_size=size)


def _shuffled(rows):
    rows = list(rows)
    secrets.SystemRandom().shuffle(rows)
    return rows


def forward(apps, schema_editor):
    Round = apps.get_model("surveys", "Round")
    Item = apps.get_model("surveys", "Item")
    Participant = apps.get_model("surveys", "Participant")
    Answer = apps.get_model("surveys", "Answer")
    AnswerOption = apps.get_model("surveys", "AnswerOption")
    Submission = apps.get_model("surveys", "Submission")
    RoundCompletion = apps.get_model("surveys", "RoundCompletion")
    Membership = apps.get_model("surveys", "Membership")

    for study_id in sorted(set(Round.objects.values_list("study_id", flat=True))):
        rounds = list(Round.objects.filter(study_id=study_id).order_by("number"))
        old = list(Participant.objects.filter(study_id=study_id).values_list("pk", "label", "link_hash"))
        by_hash = {link: pk for pk, _label, link in old if link}
        counted_rounds = {r.pk for r in rounds if r.status == "closed"}

        # The person side first, while the old pseudonymous rows still say what each panelist answered.
        for round_ in rounds:
            if round_.status == "draft" or round_.results_released_at is not None:
                continue
            item_ids = list(Item.objects.filter(round=round_).values_list("pk", flat=True))
            answers = _answers_of(Answer, AnswerOption, participant_ids=[pk for pk, _l, _h in old], item_ids=item_ids)
            _seal_ballots(apps, round_, by_hash, answers)
        for round_ in rounds:
            if round_.results_released_at is None:
                continue
            completions = list(RoundCompletion.objects.filter(round=round_).values_list("status", flat=True))
            Round.objects.filter(pk=round_.pk).update(
                panel_count=Membership.objects.filter(study_id=study_id, role="panelist").count(),
                submitted_count=sum(status == "submitted" for status in completions),
                draft_count=sum(status == "draft" for status in completions),
            )

        # Pseudonyms that submitted a closed round, written again in a shuffled order.
        submitted = set(
            Submission.objects.filter(round_id__in=counted_rounds).values_list("participant_id", flat=True)
        )
        keep = _shuffled((pk, label, link) for pk, label, link in old if pk in submitted)
        created = Participant.objects.bulk_create(
            Participant(study_id=study_id, label=f"moving-{i}", link_hash=None) for i in range(len(keep))
        )
        new_id = {old_pk: participant.pk for (old_pk, _l, _h), participant in zip(keep, created)}
        moved = {participant.pk: (label, link) for (_pk, label, link), participant in zip(keep, created)}

        # Every closed round's counted rows, written again in one shuffled order under the new pseudonyms.
        for round_ in rounds:
            item_ids = list(Item.objects.filter(round=round_).values_list("pk", flat=True))
            counted = []
            if round_.pk in counted_rounds:
                takers = list(Submission.objects.filter(round=round_).values_list("participant_id", flat=True))
                answers = _answers_of(Answer, AnswerOption, participant_ids=takers, item_ids=item_ids)
                counted = [(new_id[p], item, values) for (p, item), values in answers.items()]
                if any(link is None for pk, _l, link in old if pk in takers):
                    Round.objects.filter(pk=round_.pk).update(answers_imported=True)
            else:
                takers = []
            AnswerOption.objects.filter(answer__item_id__in=item_ids).delete()
            Answer.objects.filter(item_id__in=item_ids).delete()
            Submission.objects.filter(round=round_).delete()
            Submission.objects.bulk_create(
                (Submission(round_id=round_.pk, participant_id=new_id[p]) for p in _shuffled(takers)),
                batch_size=BATCH,
            )
            counted = _shuffled(counted)
            written = Answer.objects.bulk_create(
                (
                    Answer(participant_id=p, item_id=item, rating=rating, scale_min=low, scale_max=high, text=text)
                    for p, item, (rating, low, high, text, _options) in counted
                ),
                batch_size=BATCH,
            )
            ids = {(a.participant_id, a.item_id): a.pk for a in written}
            if any(a.pk is None for a in written):
                ids = dict(
                    ((p, i), pk)
                    for pk, p, i in Answer.objects.filter(item_id__in=item_ids).values_list(
                        "pk", "participant_id", "item_id"
                    )
                )
            chosen = _shuffled(
                (ids[(p, item)], option, rank) for p, item, values in counted for option, rank in values[4]
            )
            AnswerOption.objects.bulk_create(
                (AnswerOption(answer_id=answer, option_id=option, rank=rank) for answer, option, rank in chosen),
                batch_size=BATCH,
            )

        Participant.objects.filter(pk__in=[pk for pk, _l, _h in old]).delete()
        for pk, (label, link) in moved.items():
            Participant.objects.filter(pk=pk).update(label=label, link_hash=link)


def backward(apps, schema_editor):
    """Only a database with nothing in the ballot box goes back: sealed ballots cannot become dated answers again."""
    if apps.get_model("surveys", "Ballot").objects.exists():
        raise RuntimeError("surveys 0008 cannot be undone: the database holds sealed ballots")


class Migration(migrations.Migration):

    dependencies = [
        ("surveys", "0007_ballot_box_schema"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
