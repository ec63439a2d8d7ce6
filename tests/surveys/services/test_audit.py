"""The study's history records creating a study and revoking an invitation, with who and when, and nothing answered."""

import pytest
from django.urls import reverse

from surveys.models import AuditEvent, Invitation, Membership, Study
from surveys.services.audit import audit_record
from tests.factories import InvitationFactory, MembershipFactory, UserFactory, allow_study_creation

pytestmark = pytest.mark.django_db


def history(client, study) -> str:
    return client.get(reverse("surveys:history", kwargs={"slug": study.slug})).content.decode()


def test_a_study_made_from_the_template_starts_its_history_with_who_created_it(client):
    client.force_login(allow_study_creation(UserFactory(username="fellow")))

    client.post(reverse("surveys:study_new"), {"template": "on", "slug": "from-template"})

    study = Study.objects.get(slug="from-template")
    event = AuditEvent.objects.get(study=study)
    assert (event.action, event.actor.username) == ("create", "fellow")
    assert event.summary == "Created the study from the study file mayo-trd.yaml"
    page = history(client, study)
    assert "Created the study" in page and "fellow" in page


def test_the_import_command_records_no_facilitator_action(mayo_study):
    assert not AuditEvent.objects.filter(study=mayo_study).exists()


def test_revoking_an_invitation_is_recorded_with_who_revoked_it(client, study, facilitator):
    invitation = InvitationFactory(study=study, email="late@example.org")
    client.force_login(facilitator)

    response = client.post(reverse("surveys:invitation_revoke", kwargs={"slug": study.slug, "pk": invitation.pk}))

    assert response.status_code == 302
    event = AuditEvent.objects.get(action="revoke")
    assert (event.actor, event.summary, event.detail) == (
        facilitator, "Revoked the invitation of late@example.org", {"email": "late@example.org", "role": "panelist"}
    )
    assert "Revoked the invitation of late@example.org" in history(client, study)


def test_a_refused_revocation_records_nothing(client, study, facilitator):
    invitation = InvitationFactory(study=study)
    Invitation.objects.filter(pk=invitation.pk).update(used_at=invitation.created)
    client.force_login(facilitator)

    client.post(reverse("surveys:invitation_revoke", kwargs={"slug": study.slug, "pk": invitation.pk}))

    assert not AuditEvent.objects.filter(action="revoke").exists()


def test_the_history_of_a_built_study_names_actions_and_items_never_answers(client, mayo_study):
    fellow = MembershipFactory(study=mayo_study, role=Membership.Role.FACILITATOR, user=UserFactory()).user
    client.force_login(fellow)
    item = mayo_study.rounds.get().items.get(code="base-main")
    url = reverse("surveys:round_item_edit", kwargs={"slug": mayo_study.slug, "number": 1, "pk": item.pk})

    client.post(url, {"text": "Reworded before round 1 opens.", "options": [item.item_options.first().option_id]})

    event = AuditEvent.objects.get()
    assert set(event.detail) == {"round", "item", "fields"}
    assert "Edited the text and options of item base-main in round 1" in history(client, mayo_study)


def test_a_summary_longer_than_its_column_is_cut_with_an_ellipsis(study, facilitator):
    # Any action whose line came out longer than the column failed on PostgreSQL, a 500.
    limit = AuditEvent._meta.get_field("summary").max_length

    event = audit_record(study=study, by=facilitator, action=AuditEvent.Action.EDIT, summary="x" * (limit + 100))

    event.refresh_from_db()
    assert event.summary == "x" * (limit - 1) + "…"
