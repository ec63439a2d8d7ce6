"""New studies from an uploaded study file or the Mayo template, and the study back as a study file."""

import io

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from analysis.selectors import study_file_data
from surveys.models import Item, Membership, Study
from tests.conftest import MAYO_FILE
from tests.factories import MembershipFactory, UserFactory, allow_study_creation

pytestmark = pytest.mark.django_db

NEW = reverse("surveys:study_new")


def upload(text: str, name: str = "study.yaml") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="application/yaml")


def test_one_click_from_the_template_gives_the_mayo_study_with_its_creator_as_facilitator(creator_client):
    response = creator_client.post(NEW, {"template": "on", "slug": "our-trd-panel", "title": "Our TRD panel"})

    study = Study.objects.get(slug="our-trd-panel")
    assert response.status_code == 302
    assert response["Location"] == reverse("surveys:round_manage", kwargs={"slug": study.slug, "number": 1})
    assert study.title == "Our TRD panel"
    assert (study.vignettes.count(), study.options.count()) == (7, 11)
    assert Item.objects.filter(round__study=study, type="likert").count() == 7
    assert Membership.objects.get(study=study).role == "facilitator"


def test_an_uploaded_study_file_becomes_a_study(creator_client):
    response = creator_client.post(NEW, {"file": upload(MAYO_FILE.read_text())})

    assert response.status_code == 302
    assert Study.objects.get().slug == "mayo-trd"


def test_a_broken_file_lists_every_problem_at_the_file_field_and_saves_nothing(creator_client):
    broken = MAYO_FILE.read_text().replace("scale: {min: 1, max: 9, neutral: 5}", "scale: {min: 9, max: 1, neutral: 5}")
    broken = broken.replace("options: [tms]", "options: [tms, psilocybin]")
    assert broken != MAYO_FILE.read_text()

    response = creator_client.post(NEW, {"file": upload(broken)})

    assert response.status_code == 400
    errors = response.context["form"].errors["file"]
    assert any("scale" in e for e in errors)
    assert any("psilocybin" in e for e in errors)
    assert not Study.objects.exists()


def test_a_taken_slug_is_refused_at_the_slug_field(creator_client, mayo_study):
    response = creator_client.post(NEW, {"template": "on"})

    assert response.status_code == 400
    assert "already exists" in response.context["form"].errors["slug"][0]
    assert Study.objects.count() == 1


@pytest.mark.parametrize("data", [{}, {"template": "on", "file": "x"}])
def test_it_wants_exactly_one_source(creator_client, data):
    if "file" in data:
        data = {**data, "file": upload("slug: x")}

    response = creator_client.post(NEW, data)

    assert response.status_code == 400
    assert "one of the two" in response.content.decode()
    assert not Study.objects.exists()


def test_text_that_is_not_a_study_file_is_refused_not_crashed_on(creator_client):
    response = creator_client.post(NEW, {"file": SimpleUploadedFile("x.yaml", b"\xff\xfe\x00binary")})

    assert response.status_code == 400
    assert "not UTF-8" in response.context["form"].errors["file"][0]


def test_the_study_file_round_trips(client, mayo_study):
    facilitator = allow_study_creation(MembershipFactory(study=mayo_study, role="facilitator").user)
    client.force_login(facilitator)
    before = study_file_data(study=mayo_study)

    response = client.get(reverse("surveys:study_file", kwargs={"slug": mayo_study.slug}))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="mayo-trd.yaml"'
    exported = response.content.decode()
    assert yaml.safe_load(exported) == before
    assert client.post(NEW, {"file": upload(exported), "slug": "mayo-copy"}).status_code == 302
    assert study_file_data(study=Study.objects.get(slug="mayo-copy")) == {**before, "slug": "mayo-copy"}


@pytest.mark.parametrize("role", ["panelist", "analyst", None])
def test_only_facilitators_download_the_study_file(client, mayo_study, role):
    user = UserFactory(username="someone")
    if role:
        MembershipFactory(study=mayo_study, user=user, role=role)
    client.force_login(user)

    assert client.get(reverse("surveys:study_file", kwargs={"slug": mayo_study.slug})).status_code == 404


def test_the_new_study_page_needs_a_signed_in_user(client):
    assert client.get(NEW).status_code == 302
    assert client.put(NEW).status_code in (302, 405)


@pytest.mark.parametrize("role", ["panelist", "analyst", "facilitator", None])
@pytest.mark.parametrize("url", [NEW, reverse("surveys:study_create")])
def test_an_account_the_deployment_has_not_allowed_creates_no_study(client, mayo_study, role, url):
    user = UserFactory(username="someone")
    if role:
        MembershipFactory(study=mayo_study, user=user, role=role)
    client.force_login(user)

    page = client.get(url)
    refused = client.post(url, {"template": "on", "slug": "relay", "title": "Relay"})
    home = client.get(reverse("surveys:home")).content.decode()

    assert page.status_code == refused.status_code == 403
    assert "may not create studies" in refused.content.decode() and "Study creators" in refused.content.decode()
    assert not Study.objects.filter(slug="relay").exists()
    assert NEW not in home


def test_an_account_in_the_study_creators_group_sees_the_new_study_button(creator_client):
    assert NEW in creator_client.get(reverse("surveys:home")).content.decode()


def test_the_demo_lets_its_facilitator_create_studies_and_nobody_else():
    call_command("seed_demo", stdout=io.StringIO())

    allowed = {user.username for user in get_user_model().objects.all() if user.has_perm("surveys.add_study")}
    assert allowed == {"facilitator", "admin"}
