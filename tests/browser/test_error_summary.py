"""A refused form brings its problems to attention: a summary at the top takes the focus, each problem a link to
its field (WCAG 3.3.1, 4.1.3). Before, the page reloaded at the top with the focus on the body, and on the
vignettes page the first error sat 2,361 px down."""

from django.core.management import call_command
from playwright.sync_api import expect

from surveys.models import Membership, Study
from tests.browser.pages import DESKTOP, PHONE, serious_accessibility_violations, sign_in
from tests.conftest import MAYO_FILE
from tests.factories import MembershipFactory, UserFactory


def test_a_refused_form_is_summarised_at_the_top_and_the_summary_takes_the_focus(open_page, transactional_db):
    call_command("import_study", str(MAYO_FILE), stdout=None)
    study = Study.objects.get(slug="mayo-trd")
    MembershipFactory(study=study, role=Membership.Role.FACILITATOR, user=UserFactory(username="fac"))
    page = open_page(PHONE)
    sign_in(page, "fac")

    # The content page: a vignette with a code already taken and no text, at the bottom of a long page.
    page.goto("/studies/mayo-trd/content/")
    page.get_by_label("Code").first.fill("base")
    page.get_by_label("Title").first.fill("Again")
    page.get_by_role("button", name="Add").first.click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_contain_text("There are 2 problems with what you sent:")
    expect(summary).to_contain_text("This study already has base.")
    assert page.evaluate("document.querySelector('.error-summary').getBoundingClientRect().top") < 740
    summary.get_by_role("link", name="Code: This study already has base.").click()
    expect(page.locator("#id_vignette-code")).to_be_focused()

    # The settings page: one problem.
    page.set_viewport_size(DESKTOP)
    page.goto("/studies/mayo-trd/settings/")
    page.get_by_label("Not-recommended threshold (%)").fill("150")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator(".error-summary")).to_contain_text("There is a problem with what you sent:")
    expect(page.locator(".error-summary")).to_contain_text("Give a share between 0.01 and 100.")
    assert serious_accessibility_violations(page) == []
