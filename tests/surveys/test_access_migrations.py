"""The migrations of issue 17: creating a study becomes a permission (0010), memberships follow invitations (0012)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.surveys.migrating import back_to_the_latest_schema, migrate  # noqa: F401 - the fixture is used by name

pytestmark = pytest.mark.django_db(transaction=True)


def test_whoever_facilitates_a_study_keeps_the_right_and_nobody_else_gets_it():
    old = migrate([("surveys", "0009_ballot_box_cleanup")])
    User, Study, Membership = old.get_model("auth", "User"), old.get_model("surveys", "Study"), old.get_model("surveys", "Membership")
    study = Study.objects.create(slug="old", title="Old study")
    people = {role: User.objects.create(username=role) for role in ("facilitator", "panelist", "analyst")}
    for role, user in people.items():
        Membership.objects.create(study=study, user=user, role=role)
    User.objects.create(username="nobody")

    new = migrate([("surveys", "0010_study_creators")])

    group = new.get_model("auth", "Group").objects.get(name="Study creators")
    assert list(group.permissions.values_list("content_type__app_label", "codename")) == [("surveys", "add_study")]
    assert sorted(group.user_set.values_list("username", flat=True)) == ["facilitator"]


def test_a_membership_an_invitation_made_and_nobody_accepted_opens_nothing_after_the_migration():
    old = migrate([("surveys", "0011_invitation_delivery")])
    User, Study = old.get_model("auth", "User"), old.get_model("surveys", "Study")
    Membership, Invitation = old.get_model("surveys", "Membership"), old.get_model("surveys", "Invitation")
    study = Study.objects.create(slug="old", title="Old study")
    now = timezone.now()
    members = {}
    for name, used, revoked, invited_after in (
        ("accepted", True, False, timedelta(0)),
        ("pending", False, False, timedelta(0)),
        ("revoked", False, True, timedelta(0)),
        ("made-by-the-admin-invited-later", False, False, timedelta(days=3)),
        ("never-invited", None, None, None),
    ):
        member = Membership.objects.create(study=study, user=User.objects.create(username=name), role="panelist")
        members[name] = member.pk
        if invited_after is not None:
            invitation = Invitation.objects.create(
                study=study, email=f"{name}@example.org", membership=member, expires_at=now + timedelta(days=14),
                used_at=now if used else None, revoked_at=now if revoked else None,
            )
            Invitation.objects.filter(pk=invitation.pk).update(created=member.created + invited_after)

    new = migrate([("surveys", "0012_membership_joins")])

    active = dict(new.get_model("surveys", "Membership").objects.values_list("user__username", "is_active"))
    assert active == {
        "accepted": True,
        "pending": False,
        "revoked": False,
        "made-by-the-admin-invited-later": True,
        "never-invited": True,
    }
