"""The facilitator's textareas count their limits as the browser does: a line break is one character."""

import pytest
from django.core import mail
from django.urls import reverse

from surveys.forms.facilitator.builder import ItemEditForm, StatementForm
from surveys.forms.facilitator.rounds import ReminderForm
from surveys.forms.fields import TextAreaField
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

# 1,000 characters as the browser counts them, 49 of them line breaks; sent as "\r\n", 1,049.
NOTE = "\n".join(["Please answer before Friday"[:19]] * 50) + "z"


def test_a_reminder_note_at_the_browsers_limit_with_line_breaks_goes_out_with_its_breaks(
    facilitator_client, voting_round, django_capture_on_commit_callbacks
):
    assert len(NOTE) == 1000
    MembershipFactory(study=voting_round.study, user=UserFactory(username="late"))
    url = reverse("surveys:round_remind", args=[voting_round.study.slug, voting_round.number])

    with django_capture_on_commit_callbacks(execute=True):
        response = facilitator_client.post(url, {"note": NOTE.replace("\n", "\r\n")})

    assert response.status_code == 302
    assert NOTE in mail.outbox[0].body


@pytest.mark.parametrize(
    "field",
    [ReminderForm.base_fields["note"], StatementForm.base_fields["text"], ItemEditForm.base_fields["text"]],
    ids=["reminder", "statement", "item"],
)
def test_every_limited_textarea_counts_as_the_browser_counts(field):
    assert isinstance(field, TextAreaField)
    assert field.widget_attrs(field.widget)["maxlength"] == str(field.text_max_length)
