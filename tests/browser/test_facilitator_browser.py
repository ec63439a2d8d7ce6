"""A facilitator in a real browser: a study from the template, two invited panelists, a round opened and closed."""

import re

from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import expect

from surveys.models import AuditEvent, Round, Submission
from tests.browser.pages import DESKTOP, screenshot, serious_accessibility_violations, sign_in
from tests.factories import allow_study_creation

PASSWORD = "heron-lantern-58"


def join_and_vote(open_page, link: str, request, step: str) -> None:
    """A panelist follows the emailed link, chooses a password and submits round 1, rating every statement 8."""
    page = open_page()
    page.goto(link)
    page.locator("#id_new_password1").fill(PASSWORD)
    page.locator("#id_new_password2").fill(PASSWORD)
    page.get_by_role("button", name="Set password and join").click()
    page.get_by_role("link", name=re.compile("Start")).click()
    for radio in page.locator("input[type=radio][value='8']").all():
        page.locator(f"label[for='{radio.get_attribute('id')}']").click()
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("Submitted").first).to_be_visible()
    screenshot(page, request, step)


def test_a_facilitator_runs_round_one_of_a_study_from_the_template(open_page, transactional_db, request):
    allow_study_creation(get_user_model().objects.create_user("fellow", "fellow@example.org", "a-long-test-password"))
    page = open_page(DESKTOP)
    sign_in(page, "fellow")

    page.get_by_role("link", name="New study").click()
    page.get_by_label("Start from the Mayo study template").check()
    page.get_by_label("Slug").fill("our-panel")
    page.get_by_role("button", name="Create the study").click()
    expect(page.get_by_role("heading", name=re.compile("Round 1"))).to_be_visible()
    assert serious_accessibility_violations(page) == []

    page.goto("/studies/our-panel/invitations/")
    page.get_by_label("Email addresses").fill("dr.one@example.org\ndr.two@example.org")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("2 invitations are on their way")).to_be_visible()
    links = [re.search(r"https?://\S+/invitations/\S+/", m.body).group(0) for m in mail.outbox]
    assert len(links) == 2

    page.goto("/studies/our-panel/rounds/1/manage/")
    page.get_by_role("link", name="Open…").click()
    expect(page.get_by_role("heading", name="Open round 1?")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Open the round").click()
    expect(page.get_by_text("The round is open.")).to_be_visible()
    screenshot(page, request, "1-opened")

    for number, link in enumerate(links, start=1):
        join_and_vote(open_page, link, request, f"2-panelist-{number}-submitted")

    page.reload()
    expect(page.locator(".completion")).to_contain_text("2 / 2 (100%)")
    page.get_by_role("link", name="Close now…").click()
    expect(page.get_by_text("2 of 2 panelists have submitted")).to_be_visible()
    page.get_by_role("button", name="Close now").click()
    expect(page.get_by_text("The round is closed")).to_be_visible()
    screenshot(page, request, "3-closed")

    round_1 = Round.objects.get(study__slug="our-panel", number=1)
    assert round_1.status == Round.Status.CLOSED
    assert Submission.objects.filter(round=round_1).count() == 2
    assert set(AuditEvent.objects.values_list("action", flat=True)) == {"create", "invite", "join", "open", "close"}
