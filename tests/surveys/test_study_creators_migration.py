"""The migration that makes creating a study a permission (surveys 0010) keeps today's facilitators able to."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def back_to_the_latest_schema():
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


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
