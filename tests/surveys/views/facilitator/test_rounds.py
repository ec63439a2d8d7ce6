"""Facilitators run a round: open, extend, watch completion, remind, close, release; every step in the history."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from surveys.models import Answer, AuditEvent, Ballot, Membership, Participant, Round
from surveys.pseudonyms import participant_link_hash
from tests.factories import MembershipFactory, RoundFactory, UserFactory, ballot_for

pytestmark = pytest.mark.django_db


def url(name: str, round_: Round) -> str:
    return reverse(f"surveys:{name}", kwargs={"slug": round_.study.slug, "number": round_.number})


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def open_round(voting_round):
    voting_round.deadline = timezone.now() + timedelta(days=7)
    voting_round.save()
    return voting_round


# -- who may ---------------------------------------------------------------------


@pytest.mark.parametrize("who", ["outsider", "panelist", "analyst"])
def test_only_a_facilitator_of_the_study_sees_the_round_page_and_its_history(client, open_round, who, request):
    client.force_login(request.getfixturevalue(who))

    assert client.get(url("round_manage", open_round)).status_code == 404
    assert client.get(reverse("surveys:history", kwargs={"slug": open_round.study.slug})).status_code == 404
    assert client.post(url("round_close", open_round)).status_code == 404
    open_round.refresh_from_db()
    assert open_round.status == Round.Status.OPEN


def test_steps_take_only_posts(facilitator_client, open_round):
    for name in ("round_extend", "round_remind"):
        assert facilitator_client.get(url(name, open_round)).status_code == 405
    assert facilitator_client.post(url("round_manage", open_round)).status_code == 405


# -- nothing irreversible without a confirmation ------------------------------------


@pytest.mark.parametrize(
    "step, status, words",
    [
        ("round_open", Round.Status.DRAFT, ["Open round 1?", "can vote from now until the deadline", "Deadline"]),
        ("round_close", Round.Status.OPEN, ["Close round 1 now?", "No vote is taken after closing. 1 of 2"]),
        ("round_release", Round.Status.CLOSED, ["Release the results of round 1", "This cannot be undone"]),
        ("round_delete", Round.Status.DRAFT, ["Delete draft round 1?", "nobody has seen them yet"]),
    ],
)
def test_each_irreversible_step_first_says_what_it_will_do_and_changes_nothing(
    facilitator_client, voting_round, panelist, other_panelist, step, status, words
):
    ballot_for(voting_round, panelist, Ballot.Status.SUBMITTED)
    Round.objects.filter(pk=voting_round.pk).update(status=status)
    before = list(AuditEvent.objects.values_list("pk", flat=True))

    page = facilitator_client.get(url(step, voting_round))

    assert page.status_code == 200
    text = " ".join(page.content.decode().split())
    for word in words:
        assert word in text
    # A plain form posting to the step itself: no JavaScript needed.
    assert '<form method="post" novalidate>' in text and "csrfmiddlewaretoken" in text
    assert f'href="{url("round_manage", voting_round)}"' in text
    voting_round.refresh_from_db()
    assert voting_round.status == status
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == before


def test_the_dashboard_reaches_each_step_through_its_confirmation(facilitator_client, voting_round):
    """The buttons are links to the confirmation pages: no POST form for these steps on the dashboard."""
    for status, step in [(Round.Status.DRAFT, "round_open"), (Round.Status.DRAFT, "round_delete"),
                         (Round.Status.OPEN, "round_close"), (Round.Status.CLOSED, "round_release")]:
        Round.objects.filter(pk=voting_round.pk).update(status=status)
        text = facilitator_client.get(url("round_manage", voting_round)).content.decode()
        assert f'href="{url(step, voting_round)}"' in text
        assert f'action="{url(step, voting_round)}"' not in text


def test_a_bad_deadline_is_refused_on_the_confirmation_page(facilitator_client, voting_round):
    Round.objects.filter(pk=voting_round.pk).update(status=Round.Status.DRAFT)

    response = facilitator_client.post(url("round_open", voting_round), {"deadline": "2001-01-01T10:00"})

    assert response.status_code == 400
    assert "Choose a moment in the future." in " ".join(response.context["form"].errors["deadline"])
    assert "Open round 1?" in response.content.decode()
    voting_round.refresh_from_db()
    assert voting_round.status == Round.Status.DRAFT


# -- a draft round can go, and be drafted again -------------------------------------


def test_a_draft_round_is_deleted_with_its_items_and_the_history_says_so(facilitator_client, voting_round):
    Round.objects.filter(pk=voting_round.pk).update(status=Round.Status.DRAFT)
    items = voting_round.items.count()

    response = facilitator_client.post(url("round_delete", voting_round))

    assert response.status_code == 302 and response["Location"] == reverse("surveys:home")
    assert not Round.objects.filter(pk=voting_round.pk).exists()
    assert AuditEvent.objects.get(action="edit").summary == f"Deleted draft round 1 ({items} item(s))"


@pytest.mark.parametrize("status", [Round.Status.OPEN, Round.Status.CLOSED])
def test_a_round_that_has_opened_cannot_be_deleted(facilitator_client, voting_round, status):
    Round.objects.filter(pk=voting_round.pk).update(status=status)

    response = facilitator_client.post(url("round_delete", voting_round))

    assert response.status_code == 409
    assert "stays on record" in response.content.decode()
    assert Round.objects.filter(pk=voting_round.pk).exists()


# -- completion --------------------------------------------------------------------


def test_the_dashboard_counts_the_panel_and_names_who_has_not_submitted(
    facilitator_client, open_round, panelist, other_panelist
):
    late = MembershipFactory(study=open_round.study, user=UserFactory(username="late_one")).user
    ballot_for(open_round, panelist, Ballot.Status.SUBMITTED)
    ballot_for(open_round, other_panelist, Ballot.Status.DRAFT)

    page = facilitator_client.get(url("round_manage", open_round)).content.decode()

    assert "1 / 3 (33%)" in page
    waiting = page[page.index('class="list-inline waiting"'):]
    assert "other_panelist" in waiting and "late_one" in waiting
    assert ">panelist<" not in waiting
    assert late.username in page


def test_the_dashboard_never_shows_an_answer(facilitator_client, open_round, panelist):
    membership = Membership.objects.get(user=panelist)
    from surveys.ballot import AnswerInput
    from surveys.services.voting import answers_submit

    item = open_round.items.get(code="comment")
    answers_submit(round=open_round, membership=membership, answers=[AnswerInput(item_id=item.pk, text="A secret view")])

    page = facilitator_client.get(url("round_manage", open_round)).content.decode()

    sealed = bytes(Ballot.objects.get(membership=membership, round=open_round).sealed)
    assert "A secret view".encode() not in sealed and not Answer.objects.exists()
    assert "A secret view" not in page


def test_the_dashboard_takes_the_same_queries_for_a_large_panel(
    facilitator_client, open_round, django_assert_max_num_queries
):
    # Expect 5: session, user, round with study (the facilitator check), the
    # panel with each member's completion, and the messages' session read.
    with django_assert_max_num_queries(5):
        facilitator_client.get(url("round_manage", open_round))
    MembershipFactory.create_batch(40, study=open_round.study)
    with django_assert_max_num_queries(5):
        page = facilitator_client.get(url("round_manage", open_round)).content.decode()
    assert "0 / 40 (0%)" in page


# -- open, extend, close, release --------------------------------------------------


def test_a_facilitator_opens_a_round_with_a_deadline(facilitator_client, facilitator, study, voting_round):
    voting_round.status = Round.Status.DRAFT
    voting_round.save()
    deadline = timezone.now() + timedelta(days=10)

    response = facilitator_client.post(url("round_open", voting_round), {"deadline": local(deadline)})

    assert response.status_code == 302
    voting_round.refresh_from_db()
    assert voting_round.status == Round.Status.OPEN
    assert local(voting_round.deadline) == local(deadline)
    event = AuditEvent.objects.get(study=study)
    assert (event.actor, event.action, event.detail["round"]) == (facilitator, "open", 1)


def test_a_round_without_items_does_not_open(facilitator_client, study, facilitator):
    empty = RoundFactory(study=study, number=2)

    response = facilitator_client.post(url("round_open", empty), {"deadline": ""})

    assert response.status_code == 409
    assert "has no items yet" in response.content.decode()
    empty.refresh_from_db()
    assert empty.status == Round.Status.DRAFT
    assert not AuditEvent.objects.exists()


def test_a_deadline_in_the_past_is_refused_at_the_field(facilitator_client, voting_round):
    voting_round.status = Round.Status.DRAFT
    voting_round.save()

    response = facilitator_client.post(url("round_open", voting_round), {"deadline": "2020-01-01T09:00"})

    assert response.status_code == 400
    assert "Choose a moment in the future." in response.content.decode()
    voting_round.refresh_from_db()
    assert voting_round.status == Round.Status.DRAFT


def test_a_deadline_moves_later_but_never_earlier(facilitator_client, open_round):
    later = open_round.deadline + timedelta(days=3)

    assert facilitator_client.post(url("round_extend", open_round), {"deadline": local(later)}).status_code == 302
    open_round.refresh_from_db()
    assert local(open_round.deadline) == local(later)

    response = facilitator_client.post(url("round_extend", open_round), {"deadline": local(later - timedelta(days=1))})
    assert response.status_code == 409
    assert "later than the current one" in response.content.decode()
    assert facilitator_client.post(url("round_extend", open_round), {"deadline": "soon"}).status_code == 400
    open_round.refresh_from_db()
    assert local(open_round.deadline) == local(later)
    assert AuditEvent.objects.filter(action="extend").count() == 1


def test_after_the_close_a_vote_is_refused_and_nothing_is_saved(
    facilitator_client, open_round, panelist, client, django_user_model
):
    assert facilitator_client.post(url("round_close", open_round)).status_code == 302
    open_round.refresh_from_db()
    assert open_round.status == Round.Status.CLOSED and open_round.closed_at is not None

    client.force_login(panelist)
    likert = open_round.items.get(code="likert")
    response = client.post(url("vote", open_round), {f"item-{likert.pk}": "7", "action": "submit"})

    assert response.status_code == 403
    assert not Answer.objects.exists()


def test_closing_twice_is_refused_the_second_time(facilitator_client, open_round):
    assert facilitator_client.post(url("round_close", open_round)).status_code == 302

    response = facilitator_client.post(url("round_close", open_round))

    assert response.status_code == 409
    assert "is not open" in response.content.decode()
    assert AuditEvent.objects.filter(action="close").count() == 1


def test_a_closed_round_opens_again_until_its_results_are_released(facilitator_client, open_round, client, panelist):
    facilitator_client.post(url("round_close", open_round))
    assert facilitator_client.post(url("round_open", open_round), {"deadline": ""}).status_code == 302
    facilitator_client.post(url("round_close", open_round))

    assert facilitator_client.post(url("round_release", open_round)).status_code == 302
    open_round.refresh_from_db()
    assert open_round.results_released_at is not None

    response = facilitator_client.post(url("round_open", open_round), {"deadline": ""})
    assert response.status_code == 409
    assert "cannot open again" in response.content.decode()
    open_round.refresh_from_db()
    assert open_round.status == Round.Status.CLOSED
    client.force_login(panelist)
    assert client.get(url("results", open_round)).status_code == 200


def test_results_are_released_only_after_the_close(facilitator_client, open_round):
    response = facilitator_client.post(url("round_release", open_round))

    assert response.status_code == 409
    open_round.refresh_from_db()
    assert open_round.results_released_at is None


# -- reminders ------------------------------------------------------------------------


def test_reminders_go_only_to_panelists_who_have_not_submitted_with_the_note_inside_the_fixed_mail(
    facilitator_client, facilitator, open_round, panelist, other_panelist, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL, settings.PLATFORM_NAME = "https://delphi.example.org", "Mayo Delphi"
    ballot_for(open_round, panelist, Ballot.Status.SUBMITTED)
    ballot_for(open_round, other_panelist, Ballot.Status.DRAFT)

    with django_capture_on_commit_callbacks(execute=True):
        response = facilitator_client.post(url("round_remind", open_round), {"note": "Two minutes, please."})

    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["other_panelist@example.org"]]
    reminder = mail.outbox[0]
    study = open_round.study
    assert reminder.subject == f"Reminder: round 1 of the Delphi study “{study.title}” on Mayo Delphi"
    assert "Two minutes, please." in reminder.body and "Mayo Delphi (https://delphi.example.org)" in reminder.body
    assert "https://delphi.example.org" + url("vote", open_round) in reminder.body
    # The history says how many were reminded, never who (SPEC 5).
    event = AuditEvent.objects.get(action="remind")
    assert (event.actor, event.detail["reminded"]) == (facilitator, 1)
    history = facilitator_client.get(reverse("surveys:history", kwargs={"slug": open_round.study.slug})).content.decode()
    assert "Reminded 1 panelist(s)" in history and "other_panelist" not in history


def test_a_panelist_who_submitted_an_earlier_round_and_drafts_this_one_is_reminded(
    facilitator_client, study, panelist, other_panelist, django_capture_on_commit_callbacks
):
    from surveys.services.lineage import round_create_next
    from surveys.services.rounds import round_open

    first = open_round_of(study)
    for user in (panelist, other_panelist):
        ballot_for(first, user, Ballot.Status.SUBMITTED)
    facilitator_client.post(url("round_close", first))
    second = round_create_next(round=first, carry=set(first.items.values_list("pk", flat=True)))
    round_open(round=second)
    ballot_for(second, panelist, Ballot.Status.DRAFT)
    ballot_for(second, other_panelist, Ballot.Status.SUBMITTED)

    page = facilitator_client.get(url("round_manage", second)).content.decode()
    assert "panelist" in page.split("Not submitted yet")[1]
    with django_capture_on_commit_callbacks(execute=True):
        facilitator_client.post(url("round_remind", second), {"note": "Please."})

    assert [m.to for m in mail.outbox] == [[panelist.email]]


def open_round_of(study) -> Round:
    from tests.factories import round_with_every_item_type

    return round_with_every_item_type(study)


@pytest.mark.parametrize(
    "note", ["Log in at https://evil.example/login", "See www.evil.example", "Write to mailto:boss@evil.example"]
)
def test_a_note_with_a_link_of_its_own_is_refused_at_the_field(facilitator_client, open_round, panelist, note):
    response = facilitator_client.post(url("round_remind", open_round), {"note": note})

    assert response.status_code == 400
    assert "leave out web and mail addresses" in response.content.decode()
    assert mail.outbox == []
    assert not AuditEvent.objects.exists()


def test_a_subject_of_its_own_is_not_taken(
    facilitator_client, open_round, panelist, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        facilitator_client.post(url("round_remind", open_round), {"subject": "Your account is locked", "note": ""})

    assert [m.subject.startswith("Reminder: round 1 of the Delphi study") for m in mail.outbox] == [True]


def test_reminding_a_panel_of_500_queues_the_mail_instead_of_sending_it(
    facilitator_client, open_round, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    users = UserFactory.create_batch(500)
    Membership.objects.bulk_create(Membership(study=open_round.study, user=u, role="panelist") for u in users)

    with django_capture_on_commit_callbacks(execute=True):
        response = facilitator_client.post(url("round_remind", open_round), {"note": "Please."})

    assert response.status_code == 302
    assert mail.outbox == []
    # 500 addresses in batches of 100; the db_worker sends them.
    assert DBTaskResult.objects.count() == 5
    assert AuditEvent.objects.get(action="remind").detail["reminded"] == 500


def test_the_history_holds_actions_never_answers_or_pseudonyms(facilitator_client, open_round, panelist):
    from surveys.ballot import AnswerInput
    from surveys.services.voting import answers_submit

    membership = Membership.objects.get(user=panelist)
    item = open_round.items.get(code="comment")
    answers_submit(round=open_round, membership=membership, answers=[AnswerInput(item_id=item.pk, text="My view")])
    facilitator_client.post(url("round_close", open_round))
    facilitator_client.post(url("round_release", open_round))

    page = facilitator_client.get(reverse("surveys:history", kwargs={"slug": open_round.study.slug})).content.decode()

    assert "Closed round 1" in page and "Released the results of round 1" in page
    assert "My view" not in page
    pseudonym = Participant.objects.get(link_hash=participant_link_hash(study_id=open_round.study_id, user_id=panelist.pk))
    assert pseudonym.label not in page and pseudonym.link_hash not in page
    assert all(set(e.detail) <= {"round", "deadline", "from", "to", "counted"} for e in AuditEvent.objects.all())
