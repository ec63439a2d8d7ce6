"""Query counts of the voting page and of a submit do not grow with the number of items."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from surveys.ballot import AnswerInput
from surveys.models import Answer, AnswerOption, Ballot, ItemLink, Membership, Participant, Round, Submission
from surveys.pseudonyms import participant_link_hash
from surveys.services.voting import answers_save, answers_submit
from tests.factories import MembershipFactory, StudyFactory, matrix_round, sealed_answers

pytestmark = pytest.mark.django_db

VIGNETTES = 7
PANEL = 5


def continued_matrix(*, user, options: int, vignettes: int = VIGNETTES) -> Round:
    """Round 2 of a study whose every item continues a round-1 item that a panel of five answered and submitted."""
    study = StudyFactory()
    MembershipFactory(study=study, user=user, role=Membership.Role.PANELIST)
    first = matrix_round(study, vignettes=vignettes, options=options, number=1, status=Round.Status.CLOSED)
    second = matrix_round(study, vignettes=vignettes, options=options, number=2, status=Round.Status.OPEN)
    parents = list(first.items.order_by("position").prefetch_related("item_options"))
    children = list(second.items.order_by("position"))
    ItemLink.objects.bulk_create(ItemLink(parent=p, child=c) for p, c in zip(parents, children, strict=True))
    # Plain rows: hashing a password per panelist would dominate the run time.
    others = get_user_model().objects.bulk_create(
        get_user_model()(username=f"{study.slug}-{n}") for n in range(PANEL - 1)
    )
    # Round 1 as its close counted it: a pseudonym per panelist, found through the keyed link.
    participants = Participant.objects.bulk_create(
        Participant(study=study, label=f"P{n:02d}", link_hash=participant_link_hash(study_id=study.pk, user_id=u.pk))
        for n, u in enumerate([user, *others], start=1)
    )
    answers = [
        Answer(
            participant=participant,
            item=item,
            rating=6 + (n + item.pk) % 4 if item.type == "likert" else None,
            scale_min=1 if item.type == "likert" else None,
            scale_max=9 if item.type == "likert" else None,
            text=f"Comment {n}" if item.type == "comment" else "",
        )
        for n, participant in enumerate(participants)
        for item in parents
    ]
    Answer.objects.bulk_create(answers)
    AnswerOption.objects.bulk_create(
        AnswerOption(answer=answer, option_id=link.option_id)
        for answer in answers
        if answer.item.type == "not_recommended"
        for link in list(answer.item.item_options.all())[:2]
    )
    Submission.objects.bulk_create(Submission(round=first, participant=p) for p in participants)
    return second


def answers_for(round_: Round) -> list[AnswerInput]:
    result = []
    for item in round_.items.prefetch_related("item_options"):
        if item.type == "likert":
            result.append(AnswerInput(item_id=item.pk, rating=7))
        elif item.type == "not_recommended":
            result.append(AnswerInput(item_id=item.pk, options=((item.item_options.all()[0].option_id, None),)))
        else:
            result.append(AnswerInput(item_id=item.pk, text="A comment"))
    return result


@pytest.fixture
def small_and_full(panelist):
    """7 Likert items (one option) and the full Mayo matrix of 77 (eleven options), both with feedback."""
    return continued_matrix(user=panelist, options=1), continued_matrix(user=panelist, options=11)


def test_the_voting_page_takes_the_same_few_queries_for_7_items_as_for_77(
    client, panelist, small_and_full, django_assert_max_num_queries
):
    client.force_login(panelist)
    counts = []
    for round_ in small_and_full:
        # The panelist has answers already, so the page fills them in.
        answers_save(
            round=round_,
            membership=Membership.objects.get(user=panelist, study=round_.study),
            answers=answers_for(round_),
        )
        url = reverse("surveys:vote", kwargs={"slug": round_.study.slug, "number": 2})
        # Expect at most 13: session, user, membership with study, round with
        # study, ballot status and previous panel size, items with vignettes, item
        # options (each saying whether it was merged from others), own sealed ballot,
        # lineage with the previous wording, the previous ratings' counts per item and
        # point (stored at close), own previous ratings, previous choices counted per
        # item and option (own marks among them), previous comments. Options merged
        # from others add one query (the merges), rankings one (each panelist's ranks).
        with django_assert_max_num_queries(13), CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    page = response.content.decode()
    assert page.count('class="item-legend"') == VIGNETTES * 11 + 2 * VIGNETTES
    assert page.count("The panel in round 1 (n = 5)") == VIGNETTES * 11 + VIGNETTES


def test_the_voting_page_stays_under_3_kb_of_html_an_item(client, panelist, small_and_full):
    # The target of docs/performance.md, before compression: 77 statements, a
    # not-recommended list of 11 options and a comment per vignette, all with feedback.
    _small, full = small_and_full
    client.force_login(panelist)

    response = client.get(reverse("surveys:vote", kwargs={"slug": full.study.slug, "number": 2}))

    assert len(response.content) / full.items.count() <= 3 * 1024


@pytest.mark.parametrize("write", [answers_submit, answers_save], ids=["submit", "draft"])
def test_a_save_writes_every_answer_in_a_constant_number_of_queries(
    panelist, small_and_full, write, django_assert_max_num_queries
):
    counts = []
    for round_ in small_and_full:
        membership = Membership.objects.select_related("user").get(user=panelist, study=round_.study)
        answers = answers_for(round_)
        # Write twice: the second replaces answers, the path of every revision.
        for _ in range(2):
            # Expect at most 15; today 5: savepoint, round lock, items with options,
            # ballot upsert, release. The first write at a larger ballot size also
            # seals the round's other ballots again (a select and an update).
            with django_assert_max_num_queries(15), CaptureQueriesContext(connection) as queries:
                write(round=round_, membership=membership, answers=answers)
            counts.append(len(queries))
        assert len(sealed_answers(round_, panelist)) == round_.items.count()
        assert not Answer.objects.filter(item__round=round_).exists()
    assert max(counts) <= 15


def test_a_submit_of_390_answers_takes_as_few_queries(panelist, django_assert_max_num_queries):
    round_ = continued_matrix(user=panelist, options=11, vignettes=30)
    membership = Membership.objects.select_related("user").get(user=panelist, study=round_.study)
    answers = answers_for(round_)
    assert len(answers) == 30 * 11 + 2 * 30

    # Expect at most 15, as for 7 items: the same five queries, and two to
    # seal again at a larger size.
    for _ in range(2):
        with django_assert_max_num_queries(15):
            answers_submit(round=round_, membership=membership, answers=answers)
    assert len(sealed_answers(round_, panelist)) == len(answers)


def test_a_submit_is_one_transaction_so_a_failure_leaves_nothing(panelist, monkeypatch):
    round_ = continued_matrix(user=panelist, options=1)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Ballot.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        answers_submit(
            round=round_,
            membership=Membership.objects.get(user=panelist, study=round_.study),
            answers=answers_for(round_),
        )

    assert not Ballot.objects.filter(round=round_).exists()
    assert not Answer.objects.filter(item__round=round_).exists()
