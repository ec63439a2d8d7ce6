"""Memberships follow invitations: nothing opens before acceptance, a revoke leaves no access, a removal takes a person out.

The panel's counted answers are the panel's: removing a panelist deletes
what names them and keeps what they gave, under their pseudonym.
"""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from analysis.catalog import build_table
from surveys.models import AuditEvent, Ballot, Invitation, Membership, Participant, Round
from surveys.ballot import AnswerInput
from surveys.services.rounds import round_close, round_results_release
from tests.factories import (
    InvitationFactory,
    MembershipFactory,
    UserFactory,
    ballot_for,
    round_with_every_item_type,
    sign_in,
)

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"


def study_pages(study) -> list[str]:
    slug = {"slug": study.slug}
    return [
        reverse("surveys:study_settings", kwargs=slug),
        reverse("surveys:study_invitations", kwargs=slug),
        reverse("surveys:history", kwargs=slug),
        reverse("analysis:results", kwargs=slug),
    ]


def remove_url(membership) -> str:
    return reverse("surveys:member_remove", kwargs={"slug": membership.study.slug, "pk": membership.pk})


# -- before acceptance ------------------------------------------------------------------


def test_an_invitation_revoked_at_once_leaves_an_existing_account_no_access(client, facilitator_client, study):
    UserFactory(username="colleague", email="colleague@example.org")
    url = reverse("surveys:study_invitations", kwargs={"slug": study.slug})
    facilitator_client.post(url, {"emails": "colleague@example.org", "role": "facilitator"})
    invitation = Invitation.objects.get(email="colleague@example.org")
    facilitator_client.post(reverse("surveys:invitation_revoke", kwargs={"slug": study.slug, "pk": invitation.pk}))

    assert sign_in(client, "colleague", PASSWORD)

    assert [client.get(page).status_code for page in study_pages(study)] == [404] * 4
    assert study.title not in client.get(reverse("surveys:home")).content.decode()


def test_an_invitee_opens_nothing_until_they_accept_and_the_history_records_the_joining(
    client, facilitator_client, study, django_capture_on_commit_callbacks
):
    round_ = round_with_every_item_type(study)
    UserFactory(username="dr-who", email="dr.who@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        facilitator_client.post(
            reverse("surveys:study_invitations", kwargs={"slug": study.slug}),
            {"emails": "dr.who@example.org", "role": "panelist"},
        )
    vote = reverse("surveys:vote", kwargs={"slug": study.slug, "number": round_.number})
    assert sign_in(client, "dr-who", PASSWORD)
    assert client.get(vote).status_code == 404

    link = mail.outbox[0].body.split("/invitations/")[1].split("/")[0]
    client.logout()
    response = client.post(reverse("surveys:invitation", kwargs={"token": link}), {"password": PASSWORD})

    assert response.status_code == 302
    assert client.get(vote).status_code == 200
    joined = AuditEvent.objects.get(action="join")
    assert (joined.actor.username, joined.summary) == ("dr-who", "dr-who joined as panelist")


def test_a_panelist_who_has_not_joined_is_not_in_the_panel_and_gets_no_reminder(
    facilitator_client, study, panelist, django_capture_on_commit_callbacks
):
    round_ = round_with_every_item_type(study)
    InvitationFactory(study=study, email="pending@example.org")
    manage = reverse("surveys:round_manage", kwargs={"slug": study.slug, "number": round_.number})

    page = facilitator_client.get(manage).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        facilitator_client.post(reverse("surveys:round_remind", kwargs={"slug": study.slug, "number": round_.number}))

    assert "pending@example.org" not in page.split("Not submitted yet")[1]
    assert [message.to for message in mail.outbox] == [[panelist.email]]
    ballot_for(round_, panelist, Ballot.Status.SUBMITTED)
    round_close(round=round_)
    assert round_results_release(round=round_).panel_count == 1


# -- removing a member ---------------------------------------------------------------------


@pytest.fixture
def panel_with_a_counted_round(study, facilitator):
    """Three panelists who submitted round 1 (counted, results released), and a round 2 open where the first has a draft."""
    people = [MembershipFactory(study=study, role="panelist", user=UserFactory(username=f"dr{i}")).user for i in range(3)]
    first = round_with_every_item_type(study)
    likert = first.items.get(code="likert")
    for rating, user in zip((7, 8, 9), people):
        ballot_for(first, user, Ballot.Status.SUBMITTED, answers=[AnswerInput(item_id=likert.pk, rating=rating)])
    round_close(round=first)
    round_results_release(round=first)
    second = round_with_every_item_type(study, number=2)
    ballot_for(second, people[0], Ballot.Status.DRAFT)
    return people, first, second


def test_the_page_says_what_a_removal_keeps_and_deletes(facilitator_client, study, panel_with_a_counted_round):
    people, _first, _second = panel_with_a_counted_round
    member = Membership.objects.get(user=people[0])

    page = facilitator_client.get(remove_url(member)).content.decode()

    assert "Remove dr0 (panelist)?" in page
    assert "Answers they gave in rounds already counted stay" in page
    assert "Drafts they saved and did not submit are deleted" in page


def test_removing_a_panelist_deletes_what_names_them_and_keeps_their_counted_answers(
    client, facilitator_client, study, panel_with_a_counted_round
):
    people, first, second = panel_with_a_counted_round
    member = Membership.objects.get(user=people[0])
    table_before = build_table("items", round=first)
    labels_before = set(Participant.objects.filter(study=study).values_list("label", "link_hash"))

    response = facilitator_client.post(remove_url(member))

    assert response.status_code == 302
    assert not Membership.objects.filter(pk=member.pk).exists()
    assert not Ballot.objects.filter(membership_id=member.pk).exists()
    assert not Invitation.objects.filter(membership_id=member.pk).exists()
    # What the panel gave stays as it was counted, pseudonyms and all.
    assert build_table("items", round=first).equals(table_before) and table_before["n"].max() == 3
    assert set(Participant.objects.filter(study=study).values_list("label", "link_hash")) == labels_before
    event = AuditEvent.objects.get(action="remove")
    assert event.summary == "Removed dr0 (panelist)"
    assert get_user_model().objects.filter(username="dr0").exists()
    client.force_login(people[0])
    vote = reverse("surveys:vote", kwargs={"slug": study.slug, "number": second.number})
    assert client.get(vote).status_code == 404


@pytest.mark.parametrize("closed", [True, False], ids=["closed, not released", "open"])
def test_a_panelist_whose_submitted_ballot_a_round_still_counts_is_not_removed(facilitator_client, study, closed):
    # Taking the ballot out of a round counted again at a reopen, or counted at
    # its close, would drop one pseudonym from tables the facilitator has seen.
    people = [MembershipFactory(study=study, role="panelist", user=UserFactory(username=f"dr{i}")).user for i in range(3)]
    round_ = round_with_every_item_type(study)
    for user in people:
        ballot_for(round_, user, Ballot.Status.SUBMITTED)
    if closed:
        round_close(round=round_)
    member = Membership.objects.get(user=people[0])

    response = facilitator_client.post(remove_url(member))

    assert response.status_code == 409
    assert "dr0 has submitted round 1, whose results are not released yet" in response.content.decode()
    assert Membership.objects.filter(pk=member.pk).exists() and Ballot.objects.filter(membership=member).exists()
    assert not AuditEvent.objects.filter(action="remove").exists()


def test_removing_someone_who_never_joined_deletes_the_account_the_invitation_made(facilitator_client, study):
    invitation = InvitationFactory(study=study, email="never@example.org", token="tok")

    facilitator_client.post(remove_url(invitation.membership))

    assert not get_user_model().objects.filter(email="never@example.org").exists()
    assert not Invitation.objects.exists()
    link = facilitator_client.get(reverse("surveys:invitation", kwargs={"token": "tok"}))
    assert link.status_code == 404 and "We do not know this link" in link.content.decode()


def test_the_last_facilitator_cannot_be_removed(facilitator_client, facilitator, study):
    member = Membership.objects.get(user=facilitator)

    response = facilitator_client.post(remove_url(member))

    assert response.status_code == 409
    assert "A study needs a facilitator" in response.content.decode()
    assert Membership.objects.filter(pk=member.pk).exists()
    assert not AuditEvent.objects.filter(action="remove").exists()


def test_another_studys_member_cannot_be_removed_from_here(facilitator_client, study):
    other = MembershipFactory(role="panelist")

    response = facilitator_client.post(
        reverse("surveys:member_remove", kwargs={"slug": study.slug, "pk": other.pk})
    )

    assert response.status_code == 404
    assert Membership.objects.filter(pk=other.pk).exists()
    assert Round.objects.count() == 0
