"""Every page a facilitator, an analyst or a panelist opens reflows at 320 px (no sideways scrolling, WCAG 1.4.10),
passes axe-core, every impact, on a phone and on a laptop, and names every control in Chromium's accessibility
tree (WCAG 4.1.2)."""

from django.contrib.auth import get_user_model
from django.core.management import call_command

from surveys.models import Membership, Round, Study
from surveys.services.lineage import round_create_next
from surveys.services.rounds import round_open, round_results_release
from tests.analysis.panels import close, not_recommend, rate
from tests.browser.pages import LAPTOP, accessibility_violations, horizontal_overflow, sign_in, unnamed_controls
from tests.conftest import MAYO_FILE
from tests.factories import InvitationFactory, MembershipFactory, StudyFactory, UserFactory, round_with_every_item_type

NARROW = {"width": 320, "height": 640}
User = get_user_model()
DUPLICATE_IDS = """() => {
  const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
  return [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
}"""


def test_no_page_scrolls_sideways_at_320_px_and_axe_finds_nothing(open_page, transactional_db):
    call_command("import_study", str(MAYO_FILE), stdout=None)
    study = Study.objects.get(slug="mayo-trd")
    for name, role in (("fac", "facilitator"), ("ana", "analyst"), ("pan", "panelist")):
        MembershipFactory(study=study, role=role, user=UserFactory(username=name))
    InvitationFactory(study=study, email="a-rather-long-address-of-a-panelist@example.org", token="t")
    first = round_open(round=study.rounds.get(number=1))
    rate(first, {"base-main": [9, 8, 8, 7], "cad-main": [9, 9, 5, 8]})
    not_recommend(first, "base", {"maoi": 3, "ect": 2})
    first = round_results_release(round=close(first))
    second = round_open(round=round_create_next(round=first, carry=set(first.items.values_list("pk", flat=True))))
    # Another study's draft round, whose page holds the builder's two forms.
    draft = round_with_every_item_type(StudyFactory(), number=1, status=Round.Status.DRAFT)
    MembershipFactory(study=draft.study, role="facilitator", user=User.objects.get(username="fac"))
    # A round with one item of every type, open to the panelist.
    every = round_with_every_item_type(StudyFactory(), number=1)
    MembershipFactory(study=every.study, role="panelist", user=User.objects.get(username="pan"))
    slug = study.slug

    pages = {
        "fac": ["/", f"/studies/{slug}/invitations/", f"/studies/{slug}/history/", f"/studies/{slug}/settings/",
                f"/studies/{slug}/content/", f"/studies/{slug}/rounds/1/manage/", f"/studies/{slug}/rounds/1/next/",
                f"/studies/{slug}/rounds/2/manage/", f"/studies/{slug}/rounds/2/preview/", f"/studies/{draft.study.slug}/rounds/1/manage/",
                f"/studies/{slug}/rounds/2/close/", f"/studies/{slug}/results/?round=1", "/studies/new/",
                f"/studies/{slug}/content/vignettes/{study.vignettes.first().pk}/",
                f"/studies/{slug}/content/options/{study.options.first().pk}/remove/", "/no-such-page/",
                f"/studies/{draft.study.slug}/rounds/1/items/{draft.items.first().pk}/",
                f"/studies/{draft.study.slug}/rounds/1/merge-options/", f"/studies/{draft.study.slug}/rounds/1/open/",
                f"/studies/{draft.study.slug}/rounds/1/delete/", f"/studies/{slug}/rounds/1/release/",
                f"/studies/{slug}/members/{Membership.objects.get(study=study, user__username='pan').pk}/remove/"],
        "ana": ["/", f"/studies/{slug}/results/?round=1", f"/analysis/{slug}/import/"],
        "pan": ["/", f"/studies/{slug}/rounds/{second.number}/", f"/studies/{slug}/rounds/1/results/",
                f"/studies/{every.study.slug}/rounds/1/"],
    }
    pages[""] = ["/accounts/login/", "/invitations/t/", "/accounts/password_reset/"]
    wide, found, unnamed = {}, {}, {}
    for user, urls in pages.items():
        page = open_page(NARROW)
        if user:
            sign_in(page, user)
        for url in urls:
            for size in (NARROW, LAPTOP):
                page.set_viewport_size(size)
                page.goto(url)
                if size is NARROW and (overflow := horizontal_overflow(page)) > 0:
                    wide[f"{user} {url}"] = overflow
                if violations := accessibility_violations(page):
                    found[f"{user} {url} {size['width']}"] = violations
                if size is LAPTOP and (nameless := unnamed_controls(page)):
                    unnamed[f"{user} {url}"] = nameless
                if twice := page.evaluate(DUPLICATE_IDS):
                    found[f"{user} {url} ids"] = twice
        page.close()

    # A refused ballot: the voting page with its own error summary.
    page = open_page(NARROW)
    sign_in(page, "pan")
    page.goto(f"/studies/{every.study.slug}/rounds/1/")
    page.get_by_role("button", name="Submit").click()
    page.locator("#form-errors").wait_for()
    if violations := accessibility_violations(page):
        found["pan ballot refused"] = violations
    if (overflow := horizontal_overflow(page)) > 0:
        wide["pan ballot refused"] = overflow

    # A refused form: its page, with the error summary, passes too.
    page = open_page(NARROW)
    sign_in(page, "fac")
    page.goto(f"/studies/{slug}/settings/")
    page.get_by_label("Not-recommended threshold (%)").fill("150")
    page.get_by_role("button", name="Save").click()
    page.locator(".error-summary").wait_for()
    if violations := accessibility_violations(page):
        found["fac settings refused"] = violations
    if (overflow := horizontal_overflow(page)) > 0:
        wide["fac settings refused"] = overflow

    assert wide == {}
    assert found == {}, sorted(found)
    assert unnamed == {}


def test_the_name_check_sees_a_control_without_a_name(open_page, transactional_db):
    """The check above can fail: a button with no text and no label is reported."""
    page = open_page(LAPTOP)
    page.goto("/accounts/login/")
    assert unnamed_controls(page) == []

    page.evaluate("document.querySelector('main').appendChild(document.createElement('button'))")

    assert [line.split(" ")[0] for line in unnamed_controls(page)] == ["button"]
