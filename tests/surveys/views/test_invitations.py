"""Joining a study by invitation, and the password pages of Django's auth views."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from surveys.models import Invitation, Membership
from tests.factories import InvitationFactory, UserFactory, sign_in

pytestmark = pytest.mark.django_db

PASSWORD = "cardinal-violet-42"


def invite(client, study, email="dr.new@example.org", role="panelist"):
    url = reverse("surveys:study_invitations", kwargs={"slug": study.slug})
    return client.post(url, {"emails": email, "role": role})


def link_in(message) -> str:
    return re.search(r"https?://\S+/invitations/\S+/", message.body).group(0)


def test_an_invitation_makes_a_member_and_emails_a_single_use_link(
    facilitator_client, study, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(facilitator_client, study)

    assert response.status_code == 302
    user = get_user_model().objects.get(email="dr.new@example.org")
    assert not user.has_usable_password()
    assert Membership.objects.get(study=study, user=user).role == "panelist"
    (message,) = mail.outbox
    assert message.to == ["dr.new@example.org"] and study.title in message.subject
    token = link_in(message).rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.objects.get()
    assert token not in invitation.token_hash and len(invitation.token_hash) == 64
    assert invitation.expires_at > timezone.now() + timedelta(days=13)


def test_the_invitee_sets_a_password_and_lands_on_their_studies(
    client, facilitator_client, study, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(facilitator_client, study)
    link = link_in(mail.outbox[0])
    client.logout()

    page = client.get(link)
    assert page.status_code == 200 and "Choose a password" in page.content.decode()
    response = client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("surveys:home")
    assert study.title in response.content.decode()
    assert get_user_model().objects.get(email="dr.new@example.org").check_password(PASSWORD)
    assert Invitation.objects.get().used_at is not None
    client.logout()
    assert sign_in(client, "dr.new@example.org", PASSWORD)


def test_mismatched_passwords_get_a_message_and_keep_the_link_usable(client, study):
    invitation = InvitationFactory(study=study, token="tok")
    invitation.membership.user.set_unusable_password()
    invitation.membership.user.save()
    url = reverse("surveys:invitation", kwargs={"token": "tok"})

    response = client.post(url, {"new_password1": PASSWORD, "new_password2": PASSWORD + "x"})

    assert response.status_code == 400
    assert "The two password fields didn" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.used_at is None


def test_someone_with_an_account_gives_its_password_and_the_link_alone_signs_nobody_in(client, study):
    user = UserFactory(username="known", email="known@example.org")
    InvitationFactory(study=study, token="tok", email="known@example.org")
    url = reverse("surveys:invitation", kwargs={"token": "tok"})

    assert "Sign in with its password to join" in client.get(url).content.decode()
    for password in ("", "not-the-password"):
        refused = client.post(url, {"password": password})
        assert refused.status_code == 400
        assert "_auth_user_id" not in client.session
    assert Invitation.objects.get().state == "pending"

    response = client.post(url, {"password": "a-long-test-password"})

    assert response.status_code == 302
    assert client.get(reverse("surveys:home")).context["user"] == user
    assert Invitation.objects.get().state == "used"


def test_someone_already_signed_in_as_the_invitee_joins_with_one_click(client, study):
    user = UserFactory(username="known", email="known@example.org")
    InvitationFactory(study=study, token="tok", email="known@example.org")
    client.force_login(user)

    assert client.post(reverse("surveys:invitation", kwargs={"token": "tok"})).status_code == 302
    assert Invitation.objects.get().state == "used"


def test_wrong_passwords_on_an_invitation_count_towards_the_sign_in_lock(client, study, settings):
    UserFactory(username="known", email="known@example.org")
    InvitationFactory(study=study, token="tok", email="known@example.org")
    url = reverse("surveys:invitation", kwargs={"token": "tok"})

    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"password": "guess"})

    assert client.post(url, {"password": "a-long-test-password"}).status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "state, status, words",
    [
        ({"used_at": timezone.now()}, 410, "used already"),
        ({"expires_at": timezone.now() - timedelta(seconds=1)}, 410, "expired"),
        ({"revoked_at": timezone.now()}, 410, "withdrawn"),
    ],
    ids=["used", "expired", "revoked"],
)
def test_a_link_that_cannot_be_used_gets_a_clear_page(client, study, state, status, words):
    InvitationFactory(study=study, token="tok", **state)
    url = reverse("surveys:invitation", kwargs={"token": "tok"})

    for response in (client.get(url), client.post(url, {"new_password1": PASSWORD, "new_password2": PASSWORD})):
        assert response.status_code == status
        assert words in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_unknown_link_gets_a_clear_404_page(client):
    response = client.get(reverse("surveys:invitation", kwargs={"token": "nope"}))

    assert response.status_code == 404
    assert "We do not know this link" in response.content.decode()


def test_a_link_works_only_once(client, study):
    InvitationFactory(study=study, token="tok")
    url = reverse("surveys:invitation", kwargs={"token": "tok"})
    client.post(url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    client.logout()

    response = client.post(url)

    assert response.status_code == 410
    assert "_auth_user_id" not in client.session


def test_the_facilitator_revokes_a_pending_link(facilitator_client, client, study):
    invitation = InvitationFactory(study=study, token="tok")
    url = reverse("surveys:invitation_revoke", kwargs={"slug": study.slug, "pk": invitation.pk})

    response = facilitator_client.post(url, follow=True)

    assert "no longer works" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_inviting_the_same_address_again_replaces_the_pending_link(
    facilitator_client, study, django_capture_on_commit_callbacks
):
    # Two requests, each mailed when it commits.
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            invite(facilitator_client, study)

    old, new = Invitation.objects.order_by("created")
    assert old.state == "revoked" and new.state == "pending"
    assert Membership.objects.filter(study=study, user__email="dr.new@example.org").count() == 1
    assert len(mail.outbox) == 2


def test_a_bad_email_or_a_clashing_role_gets_a_message_at_the_field(facilitator_client, study, panelist):
    response = invite(facilitator_client, study, email="not-an-email")
    assert response.status_code == 400 and "Not email addresses: not-an-email" in response.content.decode()

    response = invite(facilitator_client, study, email=panelist.email, role="analyst")
    assert response.status_code == 400 and "already a panelist of this study" in response.content.decode()
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "panelist", "analyst"])
def test_only_the_studys_facilitators_reach_its_invitations(client, study, request, who):
    invitation = InvitationFactory(study=study)
    client.force_login(request.getfixturevalue(who))

    assert client.get(reverse("surveys:study_invitations", kwargs={"slug": study.slug})).status_code == 404
    url = reverse("surveys:invitation_revoke", kwargs={"slug": study.slug, "pk": invitation.pk})
    assert client.post(url).status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_the_invitation_pages_refuse_wrong_methods(facilitator_client, study):
    invitation = InvitationFactory(study=study, token="tok")

    revoke = reverse("surveys:invitation_revoke", kwargs={"slug": study.slug, "pk": invitation.pk})
    assert facilitator_client.put(revoke).status_code == 405
    # GET asks first, and revokes nothing.
    assert "stops working" in facilitator_client.get(revoke).content.decode()
    assert Invitation.objects.get().state == Invitation.State.PENDING
    assert facilitator_client.put(reverse("surveys:study_invitations", kwargs={"slug": study.slug})).status_code == 405
    assert facilitator_client.put(reverse("surveys:invitation", kwargs={"token": "tok"})).status_code == 405


def test_password_reset_emails_a_link_that_sets_a_new_password(client, panelist, django_capture_on_commit_callbacks):
    page = client.get(reverse("password_reset"))
    assert page.status_code == 200 and 'name="email"' in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": panelist.email}, follow=True)
    assert "Check your email" in response.content.decode()
    link = re.search(r"https?://\S+/reset/\S+/", mail.outbox[0].body).group(0)
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": PASSWORD, "new_password2": PASSWORD}, follow=True)

    assert "Your password is set" in done.content.decode()
    panelist.refresh_from_db()
    assert panelist.check_password(PASSWORD)


def test_a_member_changes_their_password(client, panelist):
    client.force_login(panelist)
    assert 'name="old_password"' in client.get(reverse("password_change")).content.decode()

    response = client.post(
        reverse("password_change"),
        {"old_password": "a-long-test-password", "new_password1": PASSWORD, "new_password2": PASSWORD},
        follow=True,
    )

    assert "Your password is changed" in response.content.decode()


def test_a_pasted_list_invites_everyone_on_it_once(facilitator_client, study, django_capture_on_commit_callbacks):
    pasted = "a@example.org, b@example.org;\nC@example.org\n\nb@example.org"

    with django_capture_on_commit_callbacks(execute=True):
        response = invite(facilitator_client, study, email=pasted)

    assert response.status_code == 302
    assert sorted(Invitation.objects.values_list("email", flat=True)) == ["a@example.org", "b@example.org", "c@example.org"]
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.org", "b@example.org", "c@example.org"]


def test_a_list_pasted_from_an_email_invites_each_address_and_keeps_each_name(
    facilitator_client, study, django_capture_on_commit_callbacks
):
    pasted = (
        "Name Surname <name@example.org>\n"
        '"Doe, Jane" <jane.doe@example.org>, Ann Lee <ann@example.org>; plain@example.org\n'
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = invite(facilitator_client, study, email=pasted)

    assert response.status_code == 302
    User = get_user_model()
    assert {u.email: u.first_name for u in User.objects.filter(email__endswith="example.org").exclude(
        pk__in=Membership.objects.filter(study=study, is_active=True).values("user"))} == {
        "name@example.org": "Name Surname",
        "jane.doe@example.org": "Doe, Jane",
        "ann@example.org": "Ann Lee",
        "plain@example.org": "",
    }
    greeting = {m.to[0]: m.body.splitlines()[0] for m in mail.outbox}
    assert greeting["name@example.org"] == "Dear Name Surname,"
    assert greeting["plain@example.org"].startswith("You are invited")
    page = facilitator_client.get(reverse("surveys:study_invitations", kwargs={"slug": study.slug})).content.decode()
    assert "Name Surname &lt;name@example.org&gt;" in page


def test_a_bracketed_line_without_an_address_is_refused_at_the_field(facilitator_client, study):
    response = invite(facilitator_client, study, email="Name Surname <not an address>")

    assert response.status_code == 400
    assert "Not email addresses" in " ".join(response.context["form"].errors["emails"])
    assert not Invitation.objects.exists()


def test_one_bad_address_in_a_list_invites_nobody(facilitator_client, study, panelist):
    response = invite(facilitator_client, study, email="a@example.org\nnope\nb@example.org")
    assert response.status_code == 400 and "Not email addresses: nope" in response.content.decode()

    response = invite(facilitator_client, study, email=f"a@example.org\n{panelist.email}", role="analyst")
    assert response.status_code == 400 and "Nobody was invited" in response.content.decode()
    assert not Invitation.objects.exists()


def test_resending_gives_a_new_link_and_stops_the_old_one(facilitator_client, study, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite(facilitator_client, study, email="late@example.org")
    first = Invitation.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = facilitator_client.post(
            reverse("surveys:invitation_resend", kwargs={"slug": study.slug, "pk": first.pk})
        )

    assert response.status_code == 302
    first.refresh_from_db()
    assert first.state == "revoked"
    assert Invitation.objects.filter(email="late@example.org", revoked_at=None).count() == 1
    assert len(mail.outbox) == 2 and mail.outbox[0].body != mail.outbox[1].body


def test_inviting_a_long_list_takes_the_same_queries_as_a_short_one(facilitator_client, study):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(addresses):
        with CaptureQueriesContext(connection) as captured:
            assert invite(facilitator_client, study, email="\n".join(addresses)).status_code == 302
        return len(captured)

    assert queries([f"few{i}@example.org" for i in range(3)]) == queries([f"many{i}@example.org" for i in range(60)])


def test_the_facilitators_words_are_previewed_in_the_whole_mail_then_carried_by_the_next_invitations(
    facilitator_client, study, django_capture_on_commit_callbacks
):
    note_url = reverse("surveys:study_invitations", kwargs={"slug": study.slug}) + "note/"
    words = "We meet on 12 March; the first round takes about 20 minutes."

    preview = facilitator_client.post(note_url, {"note": words, "preview": "1"})

    assert preview.status_code == 200
    text = preview.content.decode()
    assert "Preview, as an invitee gets it" in text and words in text
    assert "Dear Name Surname," in text and study.title in text
    study.refresh_from_db()
    assert study.invitation_note == ""  # a preview saves nothing

    assert facilitator_client.post(note_url, {"note": words}).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        invite(facilitator_client, study)

    (message,) = mail.outbox
    assert "A note from the study's facilitators:\n\n" + words in message.body


def test_the_invitations_text_may_not_hold_a_link(facilitator_client, study):
    note_url = reverse("surveys:invitation_note", kwargs={"slug": study.slug})

    response = facilitator_client.post(note_url, {"note": "Sign in at https://evil.example.org first."})

    assert response.status_code == 400
    assert response.context["note_form"].has_error("note")
    study.refresh_from_db()
    assert study.invitation_note == ""
