"""Every page a facilitator, an analyst or a panelist opens reflows at 320 px: no sideways scrolling
(WCAG 1.4.10)."""

from django.core.management import call_command

from surveys.models import Membership, Study
from surveys.services.lineage import round_create_next
from surveys.services.rounds import round_open, round_results_release
from tests.analysis.panels import close, not_recommend, rate
from tests.browser.pages import horizontal_overflow, sign_in
from tests.conftest import MAYO_FILE
from tests.factories import InvitationFactory, MembershipFactory, UserFactory

NARROW = {"width": 320, "height": 640}


def test_no_page_scrolls_sideways_at_320_px(open_page, transactional_db):
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
    slug = study.slug

    pages = {
        "fac": ["/", f"/studies/{slug}/invitations/", f"/studies/{slug}/history/", f"/studies/{slug}/settings/",
                f"/studies/{slug}/content/", f"/studies/{slug}/rounds/1/manage/", f"/studies/{slug}/rounds/1/next/",
                f"/studies/{slug}/rounds/2/manage/", f"/studies/{slug}/rounds/2/preview/",
                f"/studies/{slug}/rounds/2/close/", f"/studies/{slug}/results/?round=1", "/studies/new/"],
        "ana": ["/", f"/studies/{slug}/results/?round=1"],
        "pan": ["/", f"/studies/{slug}/rounds/{second.number}/", f"/studies/{slug}/rounds/1/results/"],
    }
    wide = {}
    for user, urls in pages.items():
        page = open_page(NARROW)
        sign_in(page, user)
        for url in urls:
            page.goto(url)
            overflow = horizontal_overflow(page)
            if overflow > 0:
                wide[f"{user} {url}"] = overflow
        page.close()

    assert wide == {}
