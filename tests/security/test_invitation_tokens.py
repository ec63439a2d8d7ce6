"""Invitation links beyond tests/surveys/views/test_invitations.py: a resent link, and a link's reach.

Single use, expiry, revocation and unknown links are covered there; these add
what a holder of an old or foreign link could still try.
"""

import re

import pytest
from django.core import mail
from django.urls import reverse

from surveys.models import Membership
from tests.factories import InvitationFactory, MembershipFactory, UserFactory, round_with_every_item_type

pytestmark = pytest.mark.django_db

PASSWORD = "cardinal-violet-42"


def link(token: str) -> str:
    return reverse("surveys:invitation", kwargs={"token": token})


def token_in(message) -> str:
    return re.search(r"/invitations/([^/\s]+)/", message.body).group(1)


def test_the_old_link_of_a_resent_invitation_is_refused_and_the_new_one_works(
    client, study, django_capture_on_commit_callbacks
):
    facilitator = MembershipFactory(study=study, role=Membership.Role.FACILITATOR).user
    invitee = UserFactory(username="late", email="late@example.org", password=None)
    invitation = InvitationFactory(study=study, email=invitee.email, token="old-token")
    client.force_login(facilitator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("surveys:invitation_resend", kwargs={"slug": study.slug, "pk": invitation.pk}))
    client.logout()
    new_token = token_in(mail.outbox[0])
    form = {"new_password1": PASSWORD, "new_password2": PASSWORD}

    for response in (client.get(link("old-token")), client.post(link("old-token"), form)):
        assert response.status_code == 410
        assert "withdrawn" in response.content.decode()
    assert "_auth_user_id" not in client.session
    invitee.refresh_from_db()
    assert not invitee.has_usable_password()

    assert client.post(link(new_token), form).status_code == 302
    assert client.session["_auth_user_id"] == str(invitee.pk)


def test_a_link_to_one_study_opens_no_page_of_another(client, study):
    InvitationFactory(study=study, email="dr.new@example.org", token="tok")
    elsewhere = round_with_every_item_type(MembershipFactory(role=Membership.Role.PANELIST).study)
    client.post(link("tok"), {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert "_auth_user_id" in client.session
    other = elsewhere.study

    for url in (
        reverse("surveys:vote", kwargs={"slug": other.slug, "number": elsewhere.number}),
        reverse("surveys:round_manage", kwargs={"slug": other.slug, "number": elsewhere.number}),
        reverse("surveys:study_invitations", kwargs={"slug": other.slug}),
        reverse("analysis:results", kwargs={"slug": other.slug}),
    ):
        assert client.get(url).status_code == 404, url
    assert not Membership.objects.filter(study=other, user__email="dr.new@example.org").exists()


def test_a_panelists_link_gives_the_panelists_pages_and_no_more(client, study):
    InvitationFactory(study=study, email="dr.new@example.org", token="tok")
    round_ = round_with_every_item_type(study)
    client.post(link("tok"), {"new_password1": PASSWORD, "new_password2": PASSWORD})

    assert client.get(reverse("surveys:vote", kwargs={"slug": study.slug, "number": round_.number})).status_code == 200
    assert client.get(reverse("surveys:study_invitations", kwargs={"slug": study.slug})).status_code == 404
    assert client.get(reverse("analysis:results", kwargs={"slug": study.slug})).status_code == 404


def test_a_link_is_not_accepted_with_its_case_changed_or_padded(client, study):
    InvitationFactory(study=study, token="Tok-Mixed")

    for token in ("tok-mixed", "TOK-MIXED", "Tok-Mixed ", "Tok-Mixe"):
        assert client.get(link(token)).status_code == 404, token
    assert client.get(link("Tok-Mixed")).status_code == 200
