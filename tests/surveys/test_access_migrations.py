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


def test_a_membership_an_invitation_made_opens_nothing_after_the_migration_unless_its_person_took_part():
    old = migrate([("surveys", "0011_invitation_delivery")])
    get = lambda app, name: old.get_model(app, name)  # noqa: E731
    User, Group, Study = get("auth", "User"), get("auth", "Group"), get("surveys", "Study")
    Membership, Invitation, Round, Ballot = (get("surveys", n) for n in ("Membership", "Invitation", "Round", "Ballot"))
    study = Study.objects.create(slug="old", title="Old study")
    round_ = Round.objects.create(study=study, number=1, status="open")
    creators = Group.objects.get(name="Study creators")
    now = timezone.now()
    # name: (role, invitation used?, revoked?, invited after the membership, signed in since, voted)
    cases = {
        "accepted": ("panelist", True, False, timedelta(0), False, False),
        "pending": ("panelist", False, False, timedelta(0), False, False),
        "pending-but-signed-in-since": ("panelist", False, False, timedelta(0), True, False),
        "revoked-and-signed-in-since": ("panelist", False, True, timedelta(0), True, False),
        "pending-who-voted": ("panelist", False, False, timedelta(0), False, True),
        "made-by-the-admin-invited-later": ("panelist", False, False, timedelta(days=3), False, False),
        "never-invited": ("panelist", None, None, None, False, False),
        "facilitator-never-joined": ("facilitator", False, True, timedelta(0), False, False),
    }
    for name, (role, used, revoked, invited_after, signed_in, voted) in cases.items():
        user = User.objects.create(username=name)
        member = Membership.objects.create(study=study, user=user, role=role)
        if role == "facilitator":
            creators.user_set.add(user)
        if invited_after is not None:
            invitation = Invitation.objects.create(
                study=study, email=f"{name}@example.org", membership=member, expires_at=now + timedelta(days=14),
                used_at=now if used else None, revoked_at=now if revoked else None,
            )
            Invitation.objects.filter(pk=invitation.pk).update(created=member.created + invited_after)
        if signed_in:
            User.objects.filter(pk=user.pk).update(last_login=member.created + timedelta(hours=1))
        if voted:
            Ballot.objects.create(round=round_, membership=member, status="draft", sealed=b"x")

    new = migrate([("surveys", "0012_membership_joins")])

    active = dict(new.get_model("surveys", "Membership").objects.values_list("user__username", "is_active"))
    assert active == {
        "accepted": True,
        "pending": False,
        "pending-but-signed-in-since": True,
        "revoked-and-signed-in-since": False,
        "pending-who-voted": True,
        "made-by-the-admin-invited-later": True,
        "never-invited": True,
        "facilitator-never-joined": False,
    }
    creators = new.get_model("auth", "Group").objects.get(name="Study creators")
    assert not creators.user_set.filter(username="facilitator-never-joined").exists()
