"""The protocol is locked when round 1 opens; a later change is a recorded deviation, and what the panel saw stays."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from surveys.models import AuditEvent, ProtocolDeviation, Round
from surveys.services.rounds import round_open, round_results_release
from tests.analysis.panels import close, rate

pytestmark = pytest.mark.django_db


def settings_url(study) -> str:
    return reverse("surveys:study_settings", kwargs={"slug": study.slug})


def values(study, **changes) -> dict:
    data = {
        "title": study.title,
        "description": study.description,
        "scale_min": study.scale_min,
        "scale_neutral": study.scale_neutral,
        "scale_max": study.scale_max,
        "consensus_rule": study.consensus_rule,
        "consensus_params": json.dumps(study.consensus_params),
        "not_recommended_threshold": str(study.not_recommended_threshold),
        "minimum_n": study.minimum_n,
    }
    return {**data, **changes}


def table_3(study, number: int) -> list[dict]:
    out = StringIO()
    call_command("export_consensus", study.slug, "--round", str(number), "--table", "recommendations", "--all",
                 "--format", "json", stdout=out)
    return [{"statement": row["statement"], "consensus": row["consensus"]} for row in json.loads(out.getvalue())]


@pytest.fixture
def released(mayo_study):
    """Round 1 opened (the lock), rated and released: base-main has a mean of 7.6, above the paper's 7."""
    first = mayo_study.rounds.get(number=1)
    round_open(round=first)
    rate(first, {"base-main": [8, 8, 7, 7, 8]})
    close(first)
    return round_results_release(round=first)


def test_opening_round_1_locks_the_protocol_and_the_settings_page_says_when(mayo_facilitator_client, mayo_study):
    assert "The protocol was locked" not in mayo_facilitator_client.get(settings_url(mayo_study)).content.decode()

    round_open(round=mayo_study.rounds.get(number=1))

    mayo_study.refresh_from_db()
    assert mayo_study.protocol_locked_at is not None
    page = mayo_facilitator_client.get(settings_url(mayo_study)).content.decode()
    assert "The protocol was locked on" in page and "Reason for the protocol deviation" in page
    assert AuditEvent.objects.get(action="open").summary.endswith("; the protocol is locked")


def test_a_change_of_the_locked_protocol_needs_a_reason_at_its_field(mayo_facilitator_client, released):
    study = released.study

    response = mayo_facilitator_client.post(settings_url(study), values(study, consensus_params='{"mean_above": 8}'))

    assert response.status_code == 400
    assert "protocol deviation" in " ".join(response.context["form"].errors["deviation_reason"])
    study.refresh_from_db()
    assert study.consensus_params["mean_above"] == 7
    assert not ProtocolDeviation.objects.exists()


def test_a_title_is_not_the_protocol(mayo_facilitator_client, released):
    study = released.study

    response = mayo_facilitator_client.post(settings_url(study), values(study, title="A clearer title"))

    assert response.status_code == 302
    assert not ProtocolDeviation.objects.exists()


def test_a_deviation_is_recorded_with_its_values_and_reason_and_released_verdicts_stay(
    mayo_facilitator_client, released
):
    study = released.study
    assert {"statement": "base-main", "consensus": True} in table_3(study, 1)

    response = mayo_facilitator_client.post(settings_url(study), values(
        study, consensus_params='{"mean_above": 8}', deviation_reason="The steering group asked for a stricter mean.",
    ))

    assert response.status_code == 302
    deviation = ProtocolDeviation.objects.get()
    assert deviation.changes == {"consensus_params": [{"above_neutral": 5, "mean_above": 7},
                                                      {"above_neutral": 5, "mean_above": 8}]}
    history = AuditEvent.objects.filter(summary__startswith="Protocol deviation").get().summary
    assert "mean_above: 7} → {above_neutral: 5, mean_above: 8}" in history and "stricter mean" in history
    page = mayo_facilitator_client.get(settings_url(study)).content.decode()
    assert "The steering group asked for a stricter mean." in page
    # The panel saw round 1 under the rule of its release: its verdicts stay.
    assert {"statement": "base-main", "consensus": True} in table_3(study, 1)
    methods = StringIO()
    call_command("export_consensus", study.slug, "--table", "methods", "--format", "csv", stdout=methods)
    text = methods.getvalue()
    assert "Locked on" in text and "when round 1 opened" in text
    assert "Protocol deviation 1" in text and "stricter mean" in text and "mean_above: 8" in text
    assert "Round(s) 1, released before it, keep the verdicts the panel was shown." in text


def test_a_closed_round_not_yet_released_is_judged_by_the_new_rule(mayo_facilitator_client, mayo_study):
    first = mayo_study.rounds.get(number=1)
    round_open(round=first)
    rate(first, {"base-main": [8, 8, 7, 7, 8]})
    close(first)

    mayo_facilitator_client.post(settings_url(mayo_study), values(
        mayo_study, consensus_params='{"mean_above": 8}', deviation_reason="Agreed before anyone saw results.",
    ))

    assert {"statement": "base-main", "consensus": False} in table_3(mayo_study, 1)
    assert Round.objects.get(pk=first.pk).protocol is None


def test_the_panel_keeps_seeing_the_verdicts_it_was_shown(client, mayo_facilitator_client, released):
    from surveys.models import Membership
    from tests.factories import MembershipFactory, UserFactory

    study = released.study
    reader = MembershipFactory(study=study, role=Membership.Role.PANELIST, user=UserFactory()).user
    client.force_login(reader)
    results = reverse("surveys:results", kwargs={"slug": study.slug, "number": 1})
    assert client.get(results).content.decode().count("Consensus reached") == 1

    mayo_facilitator_client.post(settings_url(study), values(
        study, consensus_params='{"mean_above": 8}', deviation_reason="Stricter.",
    ))

    page = client.get(results).content.decode()
    assert page.count("Consensus reached") == 1
    assert "all ratings above 5 and a mean above 7" in page
