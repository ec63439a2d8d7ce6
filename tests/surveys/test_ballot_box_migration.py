"""The migration into the ballot box (surveys 0008) loses nothing that counts.

A database of the old design is built with the old models: an open round
with drafts and submissions, a closed round (drafts there too), a released
round, and answers imported under bare labels. After the migration every
counted answer of a closed round is there under the same pseudonym, every
panelist of an open or unreleased round finds their answers sealed in their
ballot, drafts count nowhere, and nothing carries a date.
"""

from collections import Counter
from datetime import date

import pytest

from surveys import ballot
from surveys.pseudonyms import participant_link_hash
from tests.surveys.migrating import back_to_the_latest_schema, migrate  # noqa: F401 - the fixture is used by name

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("surveys", "0007_ballot_box_schema")]
AFTER = [("surveys", "0009_ballot_box_cleanup")]


def build_old_world(apps) -> dict:
    User = apps.get_model("auth", "User")
    get = lambda name: apps.get_model("surveys", name)  # noqa: E731
    Study, Round, Item, ItemOption = get("Study"), get("Round"), get("Item"), get("ItemOption")
    Membership, Participant, Answer = get("Membership"), get("Participant"), get("Answer")
    AnswerOption, Submission, RoundCompletion = get("AnswerOption"), get("Submission"), get("RoundCompletion")
    Vignette, Option = apps.get_model("vignettes", "Vignette"), apps.get_model("vignettes", "Option")

    study = Study.objects.create(slug="old", title="Old study")
    vignette = Vignette.objects.create(study=study, code="base", title="Base", text="A patient.")
    options = [Option.objects.create(study=study, code=f"o{i}", name=f"O{i}", short=f"O{i}", group="add") for i in range(3)]
    people = [User.objects.create(username=f"p{i}") for i in range(5)]
    members = [Membership.objects.create(study=study, user=u, role="panelist") for u in people]
    # The old design made every panelist's pseudonym at the first open, in join order.
    participants = [
        Participant.objects.create(
            study=study, label=f"P{i + 1:02d}", link_hash=participant_link_hash(study_id=study.pk, user_id=u.pk)
        )
        for i, u in enumerate(people)
    ]
    imported = Participant.objects.create(study=study, label="A1")
    states = {1: ("closed", True), 2: ("closed", False), 3: ("open", False)}
    rounds, expected = {}, {}
    for number, (status, released) in states.items():
        round_ = Round.objects.create(
            study=study,
            number=number,
            status=status,
            closed_at=None,
            results_released_at=date(2026, 1, number).isoformat() + "T12:00:00Z" if released else None,
        )
        likert = Item.objects.create(round=round_, code="base-main", type="likert", text="S", vignette=vignette,
                                     scale_min=1, scale_max=9, position=0)
        avoid = Item.objects.create(round=round_, code="base:not-recommended", type="not_recommended",
                                    text="Avoid?", vignette=vignette, required=False, position=1)
        comment = Item.objects.create(round=round_, code="base:comment", type="comment", text="Why?",
                                      vignette=vignette, required=False, position=2)
        for position, option in enumerate(options):
            ItemOption.objects.create(item=avoid, option=option, position=position)
        ItemOption.objects.create(item=likert, option=options[0], position=0)
        rounds[number] = (round_, likert, avoid, comment)
        # p0..p2 submit, p3 drafts, p4 never starts.
        for who, (member, participant) in enumerate(zip(members[:4], participants[:4], strict=True)):
            submitted = who < 3
            day = date(2026, 1, 10 + who)
            Answer.objects.create(participant=participant, item=likert, rating=5 + who + number % 2,
                                  scale_min=1, scale_max=9, answered_on=day)
            chosen = Answer.objects.create(participant=participant, item=avoid, answered_on=day)
            AnswerOption.objects.create(answer=chosen, option=options[who % 3])
            Answer.objects.create(participant=participant, item=comment, text=f"Round {number} by {who}",
                                  answered_on=day)
            RoundCompletion.objects.create(round=round_, membership=member, status="submitted" if submitted else "draft")
            if submitted:
                Submission.objects.create(round=round_, participant=participant, submitted_on=day)
        if number == 1:
            Answer.objects.create(participant=imported, item=likert, rating=9, scale_min=1, scale_max=9)
            Submission.objects.create(round=round_, participant=imported)
    expected["study_id"] = study.pk
    expected["members"] = {u.username: m.pk for u, m in zip(people, members, strict=True)}
    expected["round_ids"] = {number: r[0].pk for number, r in rounds.items()}
    return expected


def counted(apps, study_id: int) -> dict:
    """Per round: the multiset of (pseudonym, item code, rating, text, options) of submitted panelists, and who submitted."""
    get = lambda name: apps.get_model("surveys", name)  # noqa: E731
    Answer, AnswerOption, Submission = get("Answer"), get("AnswerOption"), get("Submission")
    options = {}
    for answer_id, code in AnswerOption.objects.filter(answer__participant__study_id=study_id).values_list(
        "answer_id", "option__code"
    ):
        options.setdefault(answer_id, []).append(code)
    result = {}
    for number in (1, 2, 3):
        takers = set(
            Submission.objects.filter(round__number=number, round__study_id=study_id).values_list(
                "participant__label", flat=True
            )
        )
        rows = Counter(
            (label, code, rating, text, tuple(sorted(options.get(pk, []))))
            for pk, label, code, rating, text in Answer.objects.filter(
                item__round__number=number, item__round__study_id=study_id
            ).values_list("pk", "participant__label", "item__code", "rating", "text")
            if label in takers
        )
        result[number] = (rows, sorted(takers))
    return result


def test_the_migration_keeps_every_counted_answer_and_seals_every_open_ballot(settings):
    old_apps = migrate(BEFORE)
    world = build_old_world(old_apps)
    before = counted(old_apps, world["study_id"])
    assert before[1][1] == ["A1", "P01", "P02", "P03"] and before[3][1] == ["P01", "P02", "P03"]

    new_apps = migrate(AFTER)

    after = counted(new_apps, world["study_id"])
    # Closed rounds: every counted answer, under the same pseudonym. The open round: counted nowhere yet.
    assert after[1] == before[1] and after[2] == before[2]
    assert after[3] == (Counter(), [])
    get = lambda name: new_apps.get_model("surveys", name)  # noqa: E731
    Answer, Participant, Round, Ballot = get("Answer"), get("Participant"), get("Round"), get("Ballot")
    # Drafts count nowhere, and nobody who never submitted keeps a pseudonym.
    assert set(Answer.objects.values_list("participant__label", flat=True)) <= {"A1", "P01", "P02", "P03"}
    assert sorted(Participant.objects.values_list("label", flat=True)) == ["A1", "P01", "P02", "P03"]
    rounds = {r.number: r for r in Round.objects.filter(study_id=world["study_id"])}
    assert rounds[1].answers_imported and not rounds[2].answers_imported
    assert (rounds[1].panel_count, rounds[1].submitted_count, rounds[1].draft_count) == (5, 3, 1)

    # Open and unreleased rounds: each panelist's answers there, sealed in their ballot, with its status.
    for number in (2, 3):
        round_ = rounds[number]
        ballots = {b.membership_id: b for b in Ballot.objects.filter(round=round_)}
        assert set(ballots) == {world["members"][f"p{who}"] for who in range(4)}
        for who in range(4):
            sealed = ballots[world["members"][f"p{who}"]]
            assert sealed.status == ("submitted" if who < 3 else "draft")
            answers = ballot.unseal(sealed=sealed.sealed, round_id=round_.pk, membership_id=sealed.membership_id)
            texts = [a.text for a in answers if a.text]
            ratings = [a.rating for a in answers if a.rating is not None]
            assert texts == [f"Round {number} by {who}"] and ratings == [5 + who + number % 2]
        assert len({len(bytes(b.sealed)) for b in ballots.values()}) == 1
    assert not Ballot.objects.filter(round=rounds[1]).exists()

    # And nothing keeps a date of its own.
    for name in ("Answer", "Submission", "Participant", "Ballot"):
        fields = {f.get_internal_type() for f in get(name)._meta.concrete_fields}
        assert not fields & {"DateField", "DateTimeField"}, name
