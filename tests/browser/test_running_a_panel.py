"""The facilitator's steps that could ruin a study, in a real browser: options merged in a drafted round with
feedback that pools them, a round opened through its confirmation page with scheduled reminders, the protocol
locked, a typo fixed in a vignette without changing what round 1 showed, and a draft round deleted."""

import re

from django.core.management import call_command
from playwright.sync_api import expect

from surveys.models import Membership, Round, Study
from surveys.services.lineage import round_create_next
from surveys.services.rounds import round_open, round_results_release
from tests.analysis.panels import close, panel, select, submit
from tests.browser.pages import DESKTOP, PHONE, screenshot, serious_accessibility_violations, sign_in
from tests.conftest import MAYO_FILE
from tests.factories import MembershipFactory, UserFactory


def test_merged_options_pool_their_feedback_and_each_irreversible_step_asks_first(
    open_page, transactional_db, request
):
    call_command("import_study", str(MAYO_FILE), stdout=None)
    study = Study.objects.get(slug="mayo-trd")
    MembershipFactory(study=study, role=Membership.Role.FACILITATOR, user=UserFactory(username="fac"))
    MembershipFactory(study=study, role=Membership.Role.PANELIST, user=UserFactory(username="pan"))
    # Round 1: three of four would not recommend MAO-I for the base vignette, the fourth TCA.
    first = round_open(round=study.rounds.get(number=1))
    select(first, "base:not-recommended", {"P01": ["maoi"], "P02": ["maoi"], "P03": ["maoi"], "P04": ["tca"]})
    submit(first, panel(study, 4))
    first = round_results_release(round=close(first))
    second = round_create_next(round=first, carry=set(first.items.values_list("pk", flat=True)))

    facilitator = open_page(DESKTOP)
    sign_in(facilitator, "fac")

    # A drafted round can be deleted, after its confirmation page, and drafted again.
    facilitator.goto(f"/studies/mayo-trd/rounds/{second.number}/manage/")
    facilitator.get_by_role("link", name="Delete this draft…").click()
    expect(facilitator.get_by_text("nobody has seen them yet")).to_be_visible()
    facilitator.get_by_role("button", name="Delete the draft").click()
    expect(facilitator.get_by_text("Draft round 2 is deleted.")).to_be_visible()
    facilitator.goto("/studies/mayo-trd/rounds/1/manage/")
    facilitator.get_by_role("link", name="Prepare round 2").click()
    facilitator.get_by_role("button", name="Draft the next round").click()
    expect(facilitator.get_by_text("Round 2 is drafted.")).to_be_visible()
    second = Round.objects.get(study=study, number=2)

    # The two options become one in the drafted round 2.
    facilitator.get_by_role("link", name="Merge options").click()
    facilitator.get_by_label("TCA", exact=True).check()
    facilitator.get_by_label("MAO-I", exact=True).check()
    facilitator.get_by_label("Code of the merged option").fill("tca-maoi")
    facilitator.get_by_label("Name of the merged option").fill("TCA or MAO-I")
    facilitator.get_by_label("Short name").fill("TCA or MAO-I")
    facilitator.get_by_label("Group").select_option("switch")
    facilitator.get_by_role("button", name="Merge").click()
    expect(facilitator.get_by_role("heading", name=re.compile("Round 2"))).to_be_visible()

    # Opening asks first, with the deadline and the reminders on one page.
    facilitator.get_by_role("link", name="Open…").click()
    expect(facilitator.get_by_role("heading", name="Open round 2?")).to_be_visible()
    assert serious_accessibility_violations(facilitator) == []
    facilitator.get_by_label("Deadline", exact=True).fill("2031-03-14T17:00")
    facilitator.get_by_label(re.compile("Remind those who have not submitted")).fill("3, 1")
    screenshot(facilitator, request, "open-confirmation")
    facilitator.get_by_role("button", name="Open the round").click()
    expect(facilitator.get_by_text("The round is open.")).to_be_visible()
    expect(facilitator.get_by_text("14 Mar 2031, 17:00 (UTC)")).to_be_visible()
    assert Round.objects.get(pk=second.pk).reminder_days == [3, 1]

    # The panel sees the merged option's share pooled: everyone who marked either, not 0%.
    panelist = open_page(PHONE)
    sign_in(panelist, "pan")
    panelist.goto(f"/studies/mayo-trd/rounds/{second.number}/")
    rows = panelist.locator(".vignette").first.locator(".feedback tbody tr").all_inner_texts()
    shares = {row.split("\t")[0].strip(): row.split("\t")[1].strip() for row in rows}
    assert shares["TCA or MAO-I"] == "100%"
    screenshot(panelist, request, "pooled-feedback")

    # The protocol is locked since round 1 opened.
    facilitator.goto("/studies/mayo-trd/settings/")
    expect(facilitator.locator("#protocol-lock")).to_contain_text("The protocol was locked on")

    # A typo in the base vignette is fixed; round 2, open, keeps what it showed.
    facilitator.goto("/studies/mayo-trd/content/")
    facilitator.get_by_role("link", name="Edit base").click()
    text = facilitator.get_by_label("Text")
    text.fill(text.input_value() + " Corrected.")
    facilitator.get_by_role("button", name="Save").click()
    expect(facilitator.get_by_text("base is saved.")).to_be_visible()
    panelist.reload()
    expect(panelist.get_by_text("Corrected.")).to_have_count(0)
