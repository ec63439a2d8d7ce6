"""A facilitator sets the study's scale, consensus rule and threshold, seeing the rule in plain words first."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from surveys.models import AuditEvent, Membership, Study
from tests.analysis.panels import rate
from tests.conftest import MAYO_FILE
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def settings_url(mayo_study, client):
    facilitator = MembershipFactory(study=mayo_study, role=Membership.Role.FACILITATOR, user=UserFactory()).user
    client.force_login(facilitator)
    return reverse("surveys:study_settings", kwargs={"slug": mayo_study.slug})


def values(study: Study, **changes) -> dict:
    data = {
        "title": study.title,
        "description": study.description,
        "scale_min": study.scale_min,
        "scale_neutral": study.scale_neutral,
        "scale_max": study.scale_max,
        "consensus_rule": study.consensus_rule,
        "consensus_params": '{"above_neutral": 5, "mean_above": 7}',
        "not_recommended_threshold": "50",
    }
    return {**data, **changes}


def test_the_page_says_the_current_rule_in_words(client, settings_url):
    page = client.get(settings_url).content.decode()

    assert "all ratings above 5 and a mean above 7" in page


def test_a_preview_describes_a_new_rule_without_saving_it(client, settings_url, mayo_study):
    data = values(mayo_study, consensus_rule="percent", consensus_params='{"percent": 80}', preview="1")

    page = client.post(settings_url, data).content.decode()

    assert "at least 80% of ratings" in page
    mayo_study.refresh_from_db()
    assert mayo_study.consensus_rule == "mayo"


def test_saving_a_new_rule_and_threshold_is_recorded(client, settings_url, mayo_study):
    response = client.post(settings_url, values(mayo_study, consensus_params='{"mean_above": 7.5}',
                                                 not_recommended_threshold="60"))

    assert response.status_code == 302
    mayo_study.refresh_from_db()
    assert mayo_study.consensus_params == {"above_neutral": 5, "mean_above": 7.5}
    assert float(mayo_study.not_recommended_threshold) == 60
    assert "consensus params" in AuditEvent.objects.get().summary


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"consensus_params": '{"mean_above": 12}'}, "consensus_params", "mean_above"),
        ({"consensus_params": '{"colour": 1}'}, "consensus_params", "colour"),
        ({"consensus_params": "[1, 2]"}, "consensus_params", "JSON object"),
        ({"consensus_params": "{not json"}, "consensus_params", "Enter a valid JSON"),
        ({"scale_neutral": 9}, "scale_neutral", "min < neutral < max"),
        ({"not_recommended_threshold": "150"}, "not_recommended_threshold", "between 0.01 and 100"),
        ({"not_recommended_threshold": "0"}, "not_recommended_threshold", "between 0.01 and 100"),
        ({"minimum_n": "0"}, "minimum_n", "greater than or equal to 1"),
    ],
)
def test_bad_settings_are_refused_at_their_field(client, settings_url, mayo_study, changes, field, message):
    response = client.post(settings_url, values(mayo_study, **changes))

    assert response.status_code == 400
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    # A refusal is a sentence at its field, never a database constraint's name.
    assert "study_" not in response.content.decode()
    assert not form.non_field_errors()
    mayo_study.refresh_from_db()
    assert (mayo_study.consensus_params, mayo_study.scale_neutral) == ({"above_neutral": 5, "mean_above": 7}, 5)
    assert not AuditEvent.objects.exists()


def test_the_scale_is_fixed_once_the_panel_has_rated(client, settings_url, mayo_study):
    rate(mayo_study.rounds.get(number=1), {"base-main": [8, 9]})

    response = client.post(settings_url, values(mayo_study, scale_min=0, scale_neutral=5, scale_max=10))

    assert response.status_code == 302
    mayo_study.refresh_from_db()
    assert (mayo_study.scale_min, mayo_study.scale_max) == (1, 9)
    assert "Fixed: the panel has already rated" in client.get(settings_url).content.decode()


def test_only_facilitators_change_settings(client, mayo_study):
    analyst = MembershipFactory(study=mayo_study, role=Membership.Role.ANALYST, user=UserFactory()).user
    client.force_login(analyst)
    url = reverse("surveys:study_settings", kwargs={"slug": mayo_study.slug})

    assert client.get(url).status_code == 404
    assert client.post(url, values(mayo_study, title="Hijacked")).status_code == 404
    mayo_study.refresh_from_db()
    assert mayo_study.title != "Hijacked"


@pytest.mark.parametrize("title", ["Log in at https://evil.example/login", "TRD panel: evil-login.example/x"])
def test_a_title_with_an_address_of_its_own_is_refused_for_it_goes_into_every_mail(
    client, settings_url, mayo_study, title
):
    response = client.post(settings_url, values(mayo_study, title=title))

    assert response.status_code == 400
    assert "leave out web and mail addresses" in response.content.decode()
    assert 'id="error_1_id_title"' in response.content.decode()
    mayo_study.refresh_from_db()
    assert mayo_study.title != title


def test_a_study_file_whose_title_holds_an_address_is_refused_at_the_key(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text(MAYO_FILE.read_text().replace("title: Next-step", "title: See www.evil.example for Next-step", 1))

    with pytest.raises(CommandError, match=r"title: must not hold a web or mail address \(found 'www.evil.example'\)"):
        call_command("import_study", str(path))
    assert not Study.objects.exists()
