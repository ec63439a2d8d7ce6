"""Who reaches what: every route of the URLconf, for seven actors, by GET and by POST.

The table below is the decision. A route added to the URLconf without a row
fails `test_every_route_of_the_urlconf_has_a_row`, so nobody can add a view
without saying who may reach it. The Django admin is one row set: its URLs
are generated per registered model, so the admin index, its sign-in page and
the changelist of every registered model stand in for the rest.

Outcomes: a status code, `login` (302 to the sign-in page, to come back
after signing in), `admin-login` (the same for the admin's sign-in page) or
`302` (any other redirect: the step was taken). Every POST is sent with an empty body: what matters here is
whether the view lets the actor in (a 400 or a 409 means the form or the
round's state refused it after the actor was let in), and that a refused
POST writes nothing.
"""

from __future__ import annotations

import copy
import re

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from surveys.models import Participant
from tests.security.world import (
    ACTORS,
    CLOSED,
    DRAFT,
    INVITATION_TOKEN,
    OPEN,
    RELEASED,
    SLUG,
    build_world,
    database_state,
    rolled_back,
)

pytestmark = pytest.mark.django_db

LOGIN, ADMIN_LOGIN = "login", "admin-login"

# route, method, then one outcome per actor in the order of the header.
TABLE = """
route                       method anonymous   outsider    stranger    panelist    analyst     facilitator staff
surveys:home                GET    login       200         200         200         200         200         200
surveys:home                POST   405         405         405         405         405         405         405
surveys:vote                GET    login       404         404         200         404         404         404
surveys:vote                POST   login       404         404         302         404         404         404
surveys:results             GET    login       404         404         200         404         404         404
surveys:results             POST   405         405         405         405         405         405         405
surveys:study_invitations   GET    login       404         404         404         404         200         404
surveys:study_invitations   POST   login       404         404         404         404         400         404
surveys:invitation_revoke   GET    login       404         404         404         404         200         404
surveys:invitation_revoke   POST   login       404         404         404         404         302         404
surveys:invitation_note     GET    405         405         405         405         405         405         405
surveys:invitation_note     POST   login       404         404         404         404         302         404
surveys:invitation_resend   GET    405         405         405         405         405         405         405
surveys:invitation_resend   POST   login       404         404         404         404         302         404
surveys:member_remove       GET    login       404         404         404         404         200         404
surveys:member_remove       POST   login       404         404         404         404         302         404
surveys:invitation          GET    200         200         200         200         200         200         200
surveys:invitation          POST   400         400         400         400         400         400         400
surveys:study_new           GET    login       403         403         403         403         200         200
surveys:study_new           POST   login       403         403         403         403         400         400
surveys:study_create        GET    login       403         403         403         403         200         200
surveys:study_create        POST   login       403         403         403         403         400         400
surveys:study_file          GET    login       404         404         404         404         200         404
surveys:study_file          POST   405         405         405         405         405         405         405
surveys:history             GET    login       404         404         404         404         200         404
surveys:history             POST   405         405         405         405         405         405         405
surveys:study_settings      GET    login       404         404         404         404         200         404
surveys:study_settings      POST   login       404         404         404         404         400         404
vignettes:study_content       GET    login       404         404         404         404         200         404
vignettes:study_content       POST   login       404         404         404         404         400         404
vignettes:vignette_edit       GET    login       404         404         404         404         200         404
vignettes:vignette_edit       POST   login       404         404         404         404         400         404
vignettes:vignette_remove     GET    login       404         404         404         404         200         404
vignettes:vignette_remove     POST   login       404         404         404         404         409         404
vignettes:option_edit         GET    login       404         404         404         404         200         404
vignettes:option_edit         POST   login       404         404         404         404         400         404
vignettes:option_remove       GET    login       404         404         404         404         200         404
vignettes:option_remove       POST   login       404         404         404         404         409         404
surveys:round_new           GET    405         405         405         405         405         405         405
surveys:round_new           POST   login       404         404         404         404         302         404
surveys:round_manage        GET    login       404         404         404         404         200         404
surveys:round_manage        POST   405         405         405         405         405         405         405
surveys:round_preview       GET    login       404         404         404         404         200         404
surveys:round_preview       POST   405         405         405         405         405         405         405
surveys:round_open          GET    login       404         404         404         404         200         404
surveys:round_open          POST   login       404         404         404         404         302         404
surveys:round_extend        GET    405         405         405         405         405         405         405
surveys:round_extend        POST   login       404         404         404         404         400         404
surveys:round_close         GET    login       404         404         404         404         200         404
surveys:round_close         POST   login       404         404         404         404         302         404
surveys:round_release       GET    login       404         404         404         404         200         404
surveys:round_release       POST   login       404         404         404         404         302         404
surveys:round_delete        GET    login       404         404         404         404         200         404
surveys:round_delete        POST   login       404         404         404         404         302         404
surveys:round_remind        GET    405         405         405         405         405         405         405
surveys:round_remind        POST   login       404         404         404         404         302         404
surveys:round_next          GET    login       404         404         404         404         200         404
surveys:round_next          POST   login       404         404         404         404         400         404
surveys:statement_add       GET    405         405         405         405         405         405         405
surveys:statement_add       POST   login       404         404         404         404         400         404
surveys:matrix_add          GET    405         405         405         405         405         405         405
surveys:matrix_add          POST   login       404         404         404         404         400         404
surveys:round_item_edit     GET    login       404         404         404         404         200         404
surveys:round_item_edit     POST   login       404         404         404         404         400         404
surveys:round_item_remove   GET    login       404         404         404         404         200         404
surveys:round_item_remove   POST   login       404         404         404         404         302         404
surveys:round_item_move     GET    405         405         405         405         405         405         405
surveys:round_item_move     POST   login       404         404         404         404         400         404
surveys:round_options_merge GET    login       404         404         404         404         200         404
surveys:round_options_merge POST   login       404         404         404         404         400         404
analysis:results            GET    login       404         404         404         200         200         404
analysis:results            POST   405         405         405         405         405         405         405
analysis:download           GET    login       404         404         404         200         200         404
analysis:download           POST   405         405         405         405         405         405         405
analysis:figure             GET    login       404         404         404         200         200         404
analysis:figure             POST   405         405         405         405         405         405         405
analysis:import             GET    login       404         404         404         200         200         404
analysis:import             POST   login       404         404         404         400         400         404
login                       GET    200         200         200         200         200         200         200
login                       POST   200         200         200         200         200         200         200
logout                      GET    405         405         405         405         405         405         405
logout                      POST   302         302         302         302         302         302         302
password_change             GET    login       200         200         200         200         200         200
password_change             POST   login       200         200         200         200         200         200
password_change_done        GET    login       200         200         200         200         200         200
password_change_done        POST   login       405         405         405         405         405         405
admin_password_change       GET    admin-login admin-login admin-login admin-login admin-login admin-login 200
admin_password_change       POST   admin-login admin-login admin-login admin-login admin-login admin-login 200
password_reset              GET    200         200         200         200         200         200         200
password_reset              POST   200         200         200         200         200         200         200
password_reset_done         GET    200         200         200         200         200         200         200
password_reset_done         POST   405         405         405         405         405         405         405
password_reset_confirm      GET    200         200         200         200         200         200         200
password_reset_confirm      POST   200         200         200         200         200         200         200
password_reset_complete     GET    200         200         200         200         200         200         200
password_reset_complete     POST   405         405         405         405         405         405         405
admin:index                 GET    admin-login admin-login admin-login admin-login admin-login admin-login 200
admin:index                 POST   admin-login admin-login admin-login admin-login admin-login admin-login 200
admin:login                 GET    200         200         200         200         200         200         302
admin:login                 POST   200         200         200         200         200         200         200
admin:*                     GET    admin-login admin-login admin-login admin-login admin-login admin-login 200
admin:*                     POST   admin-login admin-login admin-login admin-login admin-login admin-login 200
"""


def _parse(table: str) -> dict[tuple[str, str], dict[str, str]]:
    header, *rows = (line.split() for line in table.strip().splitlines())
    assert tuple(header[2:]) == ACTORS, header
    expected = {}
    for route, method, *outcomes in rows:
        assert len(outcomes) == len(ACTORS), route
        assert (route, method) not in expected, f"{route} {method} twice"
        expected[route, method] = dict(zip(ACTORS, outcomes))
    return expected


EXPECTED = _parse(TABLE)
ADMIN = "admin:*"

# Where each route points in the world of tests/security/world.py.
PLACES = {
    "surveys:vote": {"slug": SLUG, "number": OPEN},
    "surveys:results": {"slug": SLUG, "number": RELEASED},
    "surveys:study_invitations": {"slug": SLUG},
    "surveys:invitation_revoke": {"slug": SLUG, "pk": "invitation"},
    "surveys:invitation_resend": {"slug": SLUG, "pk": "invitation"},
    "surveys:invitation_note": {"slug": SLUG},
    "surveys:member_remove": {"slug": SLUG, "pk": "invitee"},
    "surveys:invitation": {"token": INVITATION_TOKEN},
    "surveys:study_file": {"slug": SLUG},
    "surveys:history": {"slug": SLUG},
    "surveys:study_settings": {"slug": SLUG},
    "vignettes:study_content": {"slug": SLUG},
    "vignettes:vignette_edit": {"slug": SLUG, "pk": "vignette"},
    "vignettes:vignette_remove": {"slug": SLUG, "pk": "vignette"},
    "vignettes:option_edit": {"slug": SLUG, "pk": "option"},
    "vignettes:option_remove": {"slug": SLUG, "pk": "option"},
    "surveys:round_new": {"slug": SLUG},
    "surveys:round_manage": {"slug": SLUG, "number": OPEN},
    "surveys:round_preview": {"slug": SLUG, "number": OPEN},
    "surveys:round_open": {"slug": SLUG, "number": DRAFT},
    "surveys:round_extend": {"slug": SLUG, "number": OPEN},
    "surveys:round_close": {"slug": SLUG, "number": OPEN},
    "surveys:round_release": {"slug": SLUG, "number": CLOSED},
    "surveys:round_delete": {"slug": SLUG, "number": DRAFT},
    "surveys:round_remind": {"slug": SLUG, "number": OPEN},
    "surveys:round_next": {"slug": SLUG, "number": RELEASED},
    "surveys:statement_add": {"slug": SLUG, "number": DRAFT},
    "surveys:matrix_add": {"slug": SLUG, "number": DRAFT},
    "surveys:round_item_edit": {"slug": SLUG, "number": DRAFT, "pk": "draft_item"},
    "surveys:round_item_remove": {"slug": SLUG, "number": DRAFT, "pk": "draft_item"},
    "surveys:round_item_move": {"slug": SLUG, "number": DRAFT, "pk": "draft_item"},
    "surveys:round_options_merge": {"slug": SLUG, "number": DRAFT},
    "analysis:results": {"slug": SLUG},
    "analysis:download": {"slug": SLUG},
    "analysis:import": {"slug": SLUG},
    "analysis:figure": {"slug": SLUG, "number": RELEASED, "name": "statement-likert", "fmt": "svg"},
    "password_reset_confirm": {"uidb64": "MQ", "token": "not-a-token"},
}
# The round with answers, and the raw answers with their pseudonyms: the
# pages where an identity next to an answer would break SPEC 5.
QUERIES = {
    "analysis:results": f"?round={RELEASED}",
    "analysis:download": f"?round={RELEASED}&table=raw-ratings&format=csv",
}


def urlconf_routes(patterns=None, namespace="") -> set[str]:
    """Every route name of the URLconf, namespaced; an unnamed route appears as its pattern."""
    names = set()
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= urlconf_routes(pattern.url_patterns, inner)
        else:
            assert isinstance(pattern, URLPattern)
            names.add(f"{namespace}{pattern.name or f'<unnamed {pattern.pattern}>'}")
    return names


def admin_urls(world) -> list[tuple[str, str]]:
    """(row, url) for the admin: its index and sign-in page, every registered model's changelist, one change page."""
    urls = [("admin:index", reverse("admin:index")), ("admin:login", reverse("admin:login"))]
    for model in admin.site._registry:
        meta = model._meta
        urls.append((ADMIN, reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")))
    urls.append((ADMIN, reverse("admin:surveys_study_change", args=[world.study.pk])))
    return urls


def urls(world) -> list[tuple[str, str]]:
    """(row, url) for every row of the table but the admin's, then the admin's."""
    found = []
    for route in sorted(urlconf_routes()):
        if route.startswith("admin:"):
            continue
        kwargs = {key: getattr(world, value).pk if value in ("invitation", "draft_item", "invitee", "vignette", "option")
                  else value
                  for key, value in PLACES.get(route, {}).items()}
        found.append((route, reverse(route, kwargs=kwargs) + QUERIES.get(route, "")))
    return found + admin_urls(world)


def outcome(response) -> str:
    if response.status_code in (301, 302):
        location = response["Location"]
        if location.startswith(reverse("login") + "?"):
            return LOGIN
        if location.startswith(reverse("admin:login") + "?"):
            return ADMIN_LOGIN
    return str(response.status_code)


def refused(result: str) -> bool:
    return result in (LOGIN, ADMIN_LOGIN) or int(result) >= 400


def signed_in_client(world, actor: str) -> Client:
    # A 500 is an outcome to show in the table's diff, not an exception that stops the walk.
    client = Client(raise_request_exception=False)
    if world.user(actor) is not None:
        client.force_login(world.user(actor))
    return client


def request(client, method: str, url: str, data=None):
    """One request in a savepoint that is rolled back, the client's cookies kept, so the next starts afresh.

    Returns the response and, for a refused POST, the database as the request left it.
    """
    cookies = copy.deepcopy(client.cookies)
    with rolled_back():
        response = getattr(client, method.lower())(url, data or {})
        after = database_state() if method == "POST" and refused(outcome(response)) else None
    client.cookies = cookies
    return response, after


def test_every_route_of_the_urlconf_has_a_row():
    routes = {ADMIN if route.startswith("admin:") else route for route in urlconf_routes()}
    rows = {route for route, _ in EXPECTED} - {"admin:index", "admin:login"}

    assert routes == rows


def test_every_row_has_a_get_and_a_post():
    for route, _ in EXPECTED:
        assert {(route, "GET"), (route, "POST")} <= EXPECTED.keys(), route


@pytest.mark.parametrize("actor", ACTORS)
def test_each_actor_gets_what_the_table_says_and_a_refused_post_writes_nothing(actor):
    world = build_world()
    client = signed_in_client(world, actor)
    before = database_state()
    got, expected, writes = {}, {}, []

    for row, url in urls(world):
        for method in ("GET", "POST"):
            response, after = request(client, method, url)
            got[f"{method} {row} {url}"] = outcome(response)
            expected[f"{method} {row} {url}"] = EXPECTED[row, method][actor]
            if after is not None and after != before:
                changed = sorted(key for key in before if before[key] != after[key])
                writes.append(f"{method} {url}: {changed}")

    assert got == expected
    assert writes == []


@pytest.mark.parametrize("actor", ["anonymous", "panelist", "analyst", "facilitator", "staff"])
def test_no_page_or_download_may_be_kept_by_a_browser_or_a_proxy(actor):
    world = build_world()
    client = signed_in_client(world, actor)
    kept = []

    for row, url in urls(world):
        response, _ = request(client, "GET", url)
        policy = {part.strip() for part in response.get("Cache-Control", "").split(",")}
        if not {"no-store", "private"} <= policy:
            kept.append(f"{url} ({response.status_code}): {response.get('Cache-Control')!r}")

    assert kept == []


def test_static_files_stay_cacheable(settings):
    # WhiteNoise serves static/ itself, before the app's middleware, as it does after collectstatic.
    settings.WHITENOISE_USE_FINDERS = True
    response = Client().get("/static/css/site.css")

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_the_write_check_sees_a_step_that_is_taken():
    world = build_world()
    client = signed_in_client(world, "facilitator")
    before = database_state()

    with rolled_back():
        client.post(reverse("surveys:round_close", kwargs={"slug": SLUG, "number": OPEN}))
        assert database_state() != before
    assert database_state() == before


PSEUDONYM = re.compile(r"\bP\d{2}\b")


@pytest.mark.parametrize("actor", ["analyst", "facilitator"])
def test_no_page_of_a_reader_shows_who_answered_what(actor):
    world = build_world()
    client = signed_in_client(world, actor)
    identities = [word for person in world.panel for word in (person.username, person.email)]
    labels = set(Participant.objects.filter(study=world.study).values_list("label", flat=True))
    assert labels, "the panel must have pseudonyms for this test to mean anything"
    showing_pseudonyms = []

    for row, url in urls(world):
        if row.startswith("admin:"):
            continue
        response, _ = request(client, "GET", url)
        if response.status_code != 200:
            continue
        page = response.getvalue().decode()
        if set(PSEUDONYM.findall(page)) & labels:
            showing_pseudonyms.append(row)
            assert not [who for who in identities if who in page], f"{url} shows pseudonyms and identities"
        if row.startswith("analysis:"):
            assert not [who for who in identities if who in page], f"{url} names a panelist"

    # The raw download carries the pseudonyms: without it the check above would have tested nothing.
    assert "analysis:download" in showing_pseudonyms


def test_the_panel_reads_the_comments_without_names():
    world = build_world()
    _, bob, carol = world.panel
    client = signed_in_client(world, "panelist")

    page = client.get(reverse("surveys:results", kwargs={"slug": SLUG, "number": RELEASED})).content.decode()

    assert f"A comment of round {RELEASED}." in page
    for other in (bob, carol):
        assert other.username not in page and other.email not in page
