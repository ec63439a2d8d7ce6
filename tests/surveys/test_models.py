"""Invariants the database itself enforces, on SQLite and on PostgreSQL."""

import pytest
from django.db import IntegrityError, connection, transaction

from surveys.models import Answer, AnswerOption, Ballot, Participant, Round, Study, Submission
from tests.factories import ItemFactory, OptionFactory, StudyFactory, VignetteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def item():
    return ItemFactory()


@pytest.fixture
def participant(item):
    return Participant.objects.create(study=item.round.study, label="P01", link_hash="a" * 64)


def answer(item, participant, rating):
    return Answer.objects.create(
        item=item, participant=participant, rating=rating, scale_min=item.scale_min, scale_max=item.scale_max
    )


def test_the_database_refuses_a_second_answer_by_one_participant_to_one_item(item, participant):
    answer(item, participant, 8)

    with pytest.raises(IntegrityError), transaction.atomic():
        answer(item, participant, 9)

    assert Answer.objects.get().rating == 8


@pytest.mark.parametrize("rating", [0, 10, -3])
def test_the_database_refuses_a_rating_outside_the_scale(item, participant, rating):
    with pytest.raises(IntegrityError), transaction.atomic():
        answer(item, participant, rating)

    assert not Answer.objects.exists()


@pytest.mark.parametrize("rating", [1, 5, 9, None])
def test_the_database_takes_a_rating_on_the_scale_or_no_rating(item, participant, rating):
    answer(item, participant, rating)

    assert Answer.objects.get().rating == rating


def test_the_database_refuses_a_rating_without_the_scale_it_belongs_to(item, participant):
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(item=item, participant=participant, rating=5)


def test_the_database_refuses_one_option_chosen_twice_in_one_answer(item, participant):
    option = OptionFactory(study=item.round.study)
    given = answer(item, participant, None)
    AnswerOption.objects.create(answer=given, option=option)

    with pytest.raises(IntegrityError), transaction.atomic():
        AnswerOption.objects.create(answer=given, option=option)


def test_the_database_refuses_two_options_at_one_rank(item, participant):
    first, second = OptionFactory.create_batch(2, study=item.round.study)
    given = answer(item, participant, None)
    AnswerOption.objects.create(answer=given, option=first, rank=1)

    with pytest.raises(IntegrityError), transaction.atomic():
        AnswerOption.objects.create(answer=given, option=second, rank=1)


def test_the_database_refuses_a_study_scale_out_of_order():
    with pytest.raises(IntegrityError), transaction.atomic():
        StudyFactory(scale_min=9, scale_max=1, scale_neutral=5)


def test_the_database_refuses_a_round_number_twice_in_a_study():
    study = StudyFactory()
    Round.objects.create(study=study, number=1)

    with pytest.raises(IntegrityError), transaction.atomic():
        Round.objects.create(study=study, number=1)


def test_the_database_refuses_a_base_vignette_without_text():
    with pytest.raises(IntegrityError), transaction.atomic():
        VignetteFactory(text="")


@pytest.mark.parametrize("model", [Answer, AnswerOption, Submission, Participant, Ballot])
def test_no_answer_pseudonym_submission_or_ballot_carries_a_date_or_time(model):
    # The round's close date stands for every answer: a time of its own could be set against the sign-in log.
    kinds = {field.get_internal_type() for field in model._meta.concrete_fields}
    assert not kinds & {"DateField", "DateTimeField", "TimeField"}, model


def test_a_participant_has_no_link_to_a_user():
    relations = {f.related_model for f in Participant._meta.get_fields() if f.is_relation}

    assert Study in relations
    assert not any(model and model._meta.label == "auth.User" for model in relations)


def test_the_suite_runs_on_the_database_that_database_url_names():
    import os

    url = os.environ.get("DATABASE_URL", "sqlite://")
    expected = "postgresql" if url.startswith(("postgres", "postgresql")) else "sqlite"
    assert connection.vendor == expected


def test_an_item_lists_the_items_it_continues_as_parents_and_its_successors_as_children(study):
    from surveys.models import ItemLink
    from tests.factories import ItemFactory, RoundFactory

    earlier = ItemFactory(round=RoundFactory(study=study, number=1))
    later = ItemFactory(round=RoundFactory(study=study, number=2), vignette=earlier.vignette)
    ItemLink.objects.create(parent=earlier, child=later)

    assert list(later.parents.all()) == [earlier]
    assert list(earlier.children.all()) == [later]
    assert not earlier.parents.exists()


def test_no_check_constraint_would_show_its_name_on_a_page():
    """A form's model validation prints a constraint's message; Django's default names the constraint."""
    from django.apps import apps
    from django.db.models import CheckConstraint

    for model in apps.get_models():
        if model._meta.app_label not in {"surveys", "vignettes"}:
            continue
        for constraint in model._meta.constraints:
            if isinstance(constraint, CheckConstraint):
                message = str(constraint.get_violation_error_message())
                assert constraint.name not in message, (model.__name__, constraint.name)
