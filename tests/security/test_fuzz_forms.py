"""Every form POST fuzzed (issue 6): never a 500, and a refused POST saves nothing.

Each route that accepts POST has a case below: who may post there, the
address, and the fields it knows with plausible and hostile values (huge and
odd text, NUL, odd numbers and dates, lists where one value is expected,
garbage uploads), mixed with stray keys. `test_every_post_route_has_a_fuzz_case`
reads the URLconf, so a new POST route without a case fails the suite.

A response that is not a redirect is a refusal or a re-shown page: every row
of the project's tables and the users must then be as before (`snapshot`),
the voting panelist's answers included. Each example runs in its own
rolled-back transaction, so examples cannot see each other's writes.
`FUZZ_EXAMPLES` (tests/security/strategies.py) scales the number of examples.
"""

import inspect
import json
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
import yaml
from axes.models import AccessAttempt
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import given
from hypothesis import strategies as st

from surveys.forms.panelist import NO_ANSWER, field_name
from surveys.models import Item, Membership, Round
from tests.analysis.panels import rate
from tests.conftest import MAYO_FILE
from tests.factories import InvitationFactory, UserFactory, round_with_every_item_type
from tests.security.strategies import (
    YAML_TOKENS,
    form_data,
    fuzz_settings,
    hostile,
    json_text,
    odd_date,
    odd_number,
    odd_text,
    rolled_back,
    snapshot,
)
from vignettes.validators import off_the_line

pytestmark = pytest.mark.django_db

REDIRECTS = (301, 302, 303)
PASSWORD = "a-long-test-password"


# -- the study every case posts to ------------------------------------------------


@pytest.fixture
def world(study, facilitator, panelist, other_panelist):
    """An open round 1 with every item type, a closed round 2 with the panel's answers, a draft round 3."""
    open_round = round_with_every_item_type(study, number=1)
    closed = round_with_every_item_type(study, number=2, status=Round.Status.CLOSED)
    rate(closed, {"likert": [7, 8, 9]})
    draft = round_with_every_item_type(study, number=3, status=Round.Status.DRAFT)
    invitee = UserFactory(username="invitee", email="invitee@example.org")
    invitee.set_unusable_password()
    invitee.save()
    invitation = InvitationFactory(study=study, email=invitee.email, token="fuzz-token")
    return SimpleNamespace(
        study=study,
        facilitator=facilitator,
        staff=UserFactory(username="staff", is_staff=True),
        panelist=panelist,
        open=open_round,
        closed=closed,
        draft=draft,
        invitation=invitation,
        options=[str(pk) for pk in study.options.values_list("pk", flat=True)],
        vignettes=[str(pk) for pk in study.vignettes.values_list("pk", flat=True)],
    )


def _items(round_: Round) -> dict[str, Item]:
    return {item.code: item for item in round_.items.prefetch_related("item_options")}


def _url(name: str, round_: Round, **kwargs) -> str:
    return reverse(name, kwargs={"slug": round_.study.slug, "number": round_.number, **kwargs})


def _study_url(name: str, w) -> str:
    return reverse(name, kwargs={"slug": w.study.slug})


pks = st.one_of(st.integers(-5, 10**6).map(str), odd_number)
emails = st.one_of(
    st.sampled_from(["new@example.org", "NEW@example.org", "a@b.c, d@e.f; g@h.i", "panelist@example.org"]),
    st.lists(st.emails().map(str), max_size=5).map(lambda a: "\n".join(a)),
    # Around the user name's 150 characters, up to the 320 Django's email check allows.
    st.integers(140, 330).map(lambda n: "a" * (n - len("@example.org")) + "@example.org"),
    odd_text,
)
MAYO_TEXT = MAYO_FILE.read_text()
UPLOADED = [
    MAYO_FILE.read_bytes(),
    MAYO_FILE.read_bytes().replace(b"slug: mayo-trd", b"slug: mayo-fuzz"),
    MAYO_FILE.read_bytes().replace(b"title: Base clinical vignette", b'title: "Base\\0vignette"'),
    b"[" * 50_000,
    b"a: &a [*a]",
    # A value no YAML writer makes from Python values, in place of a title, a threshold or a rule's parameter.
    *(
        MAYO_TEXT.replace(line, f"{line.split(': ')[0]}: {token}", 1).encode()
        for line in ("title: Base clinical vignette", "not_recommended_threshold: 50", "mean_above: 7")
        for token in YAML_TOKENS
    ),
    # JSON with lone surrogates and numbers past a float.
    json.dumps({**yaml.safe_load(MAYO_TEXT), "title": "\ud800"}).encode(),
    json.dumps({**yaml.safe_load(MAYO_TEXT), "consensus": {"rule": "mayo", "mean_above": 10**400}}).encode(),
]
uploads = st.builds(
    SimpleUploadedFile,
    st.sampled_from(
        ["study.yaml", "study.json", "study.YAML", "noextension", "../../study.yaml", "study\x00.yaml", "x" * 300]
    ),
    # By index, so that hypothesis does not print whole files when it describes the strategy.
    st.one_of(st.binary(max_size=2000), st.integers(0, len(UPLOADED) - 1).map(UPLOADED.__getitem__)),
)

# Other tools' exports for the import page: Forms (CSV and XLSX), REDCap raw and its dictionary, and a mapping.
FORMS_CSV = (
    "ID,Start time,Completion time,Email,Name,Likert statement,Avoid these\r\n"
    "1,3/1/2026 10:00:00,3/1/2026 10:05:00,a@example.org,A B,9 - complete agreement,A;B;\r\n"
    "2,3/1/2026 10:00:00,,anonymous,,Strongly agree,\r\n"
).encode()
REDCAP_CSV = b"record_id,redcap_event_name,likert,avoid___a,likert_form_complete\r\n1,round_3_arm_1,7,1,2\r\n"
REDCAP_DICTIONARY = (
    b"Variable / Field Name,Form Name,Section Header,Field Type,Field Label,\"Choices, Calculations, OR Slider Labels\"\r\n"
    b"record_id,likert_form,,text,Record ID,\r\nlikert,likert_form,,radio,Likert statement,\"1, one | 9 ,nine\"\r\n"
    b"avoid,likert_form,,checkbox,Avoid,\"a, A | b, B\"\r\n"
)
EXPORTS = [FORMS_CSV, REDCAP_CSV, REDCAP_DICTIONARY, FORMS_CSV.replace(b",", b";"), b"PK\x03\x04broken", b"\xff\xfe" + b"a\x00"]
exports = st.builds(
    SimpleUploadedFile,
    st.sampled_from(["export.csv", "export.xlsx", "../x.csv", "x" * 300]),
    st.one_of(st.binary(max_size=2000), st.integers(0, len(EXPORTS) - 1).map(EXPORTS.__getitem__)),
)
MAPPINGS = [
    "tool: msforms\nround: 3\nrespondent: email\ncolumns: {Likert statement: likert, Avoid these: ignore}\n"
    "labels: {Strongly agree: 8}\n",
    "tool: redcap\nevents: {round_3_arm_1: 3}\nrespondent: record\ncolumns: {likert: likert, avoid: ignore}\n",
    "tool: msforms\nround: 99999999999999999999\n",
    "a: &a [*a]",
    "[" * 5000,
]


# -- the cases ---------------------------------------------------------------------


@dataclass
class Case:
    """Who posts, where, and what: `data(w)` is a strategy of posted dicts for the world `w`."""

    actor: str | None  # "facilitator", "panelist", "staff", or None for a visitor who is not signed in
    url: object  # (w) -> str
    data: object  # (w) -> strategy
    examples: int = 25
    before: object = None  # (client, w) -> url posted to instead, after a GET that sets the page up


def _vote_data(w):
    items = _items(w.open)
    fields = {"action": hostile("save", "submit")}
    for code, item in items.items():
        name = field_name(item)
        options = [str(link.option_id) for link in item.item_options.all()]
        if code == "likert":
            fields[name] = hostile(*[str(v) for v in range(0, 11)], NO_ANSWER)
        elif code == "categorical":
            fields[name] = hostile("1", "2", "3", "4", "5")
        elif code in ("top", "avoid"):
            fields[name] = hostile(*options)
        elif code == "rank":
            for option in options:
                fields[f"{name}-{option}"] = hostile("1", "2", "3", "4", "")
        else:
            fields[name] = hostile("A comment.")
    # A question of another round, or none.
    fields[f"item-{max(i.pk for i in items.values()) + 1000}"] = hostile("5")
    return form_data(fields)


def _settings_fields(w):
    return {
        "title": hostile("A study"),
        "description": hostile(""),
        "scale_min": hostile("1", "0"),
        "scale_neutral": hostile("5", "4"),
        "scale_max": hostile("9", "7"),
        "consensus_rule": hostile("mayo", "percent", "comet", "median_iqr", "rand_ucla"),
        "consensus_params": st.one_of(
            hostile(
                "{}",
                '{"above_neutral": 5, "mean_above": 7}',
                '{"mean_above": 1e999}',
                '{"mean_above": 1e-999999999}',
                '{"mean_above": NaN}',
                '{"mean_above": -Infinity}',
                '{"mean_above": ' + "9" * 400 + "}",
                '{"mean_above": ' + "9" * 5000 + "}",
                '{"x": "\\u0000"}',
                '"\\u0000"',
                '{"mean_above": "\\ud800"}',
                '{"\\udfff": 1}',
                "[" * 100_000 + "]" * 100_000,
                '{"a": ' * 5000 + "1" + "}" * 5000,
            ),
            json_text,
        ),
        "not_recommended_threshold": hostile("50", "100", "0.001", "NaN"),
        "preview": hostile("1"),
    }


def _draft_item(w, code: str) -> Item:
    return _items(w.draft)[code]


def _round_next_data(w):
    items = _items(w.closed)
    item_pks = [str(i.pk) for i in items.values()]
    fields = {
        "mode": hostile("all", "no_consensus", "selected"),
        "carry": hostile(*item_pks),
        "drop": hostile(*w.vignettes),
        "kind": hostile(*Round.Kind.values),
        "merge": hostile(*item_pks),
        "merge_code": hostile("merged"),
        "merge_text": hostile("Merged statement."),
        f"reword_{items['likert'].pk}": hostile("Reworded."),
    }
    for vignette in w.vignettes:
        fields[f"draft_text_{vignette}"] = hostile("A drafted statement.")
        fields[f"draft_options_{vignette}"] = hostile(*w.options)
    return form_data(fields)


def _set_password_page(client, w) -> str:
    """The reset link from the email, followed: Django keeps the token in the session and
    redirects to the page that takes the new password."""
    user = w.panelist
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    url = reverse("password_reset_confirm", kwargs={"uidb64": uidb64, "token": token})
    response = client.get(url)
    assert response.status_code == 302
    return response["Location"]


CASES = {
    "surveys:vote": Case("panelist", lambda w: _url("surveys:vote", w.open), _vote_data, examples=60),
    "surveys:study_invitations": Case(
        "facilitator",
        lambda w: _study_url("surveys:study_invitations", w),
        lambda w: form_data({"emails": st.one_of(emails, hostile()), "role": hostile(*Membership.Role.values)}),
        examples=40,
    ),
    "surveys:invitation_revoke": Case(
        "facilitator",
        lambda w: reverse("surveys:invitation_revoke", kwargs={"slug": w.study.slug, "pk": w.invitation.pk}),
        lambda w: form_data({}),
        examples=5,
    ),
    "surveys:invitation_resend": Case(
        "facilitator",
        lambda w: reverse("surveys:invitation_resend", kwargs={"slug": w.study.slug, "pk": w.invitation.pk}),
        lambda w: form_data({}),
        examples=5,
    ),
    "surveys:member_remove": Case(
        "facilitator",
        lambda w: reverse("surveys:member_remove", kwargs={"slug": w.study.slug, "pk": w.invitation.membership_id}),
        lambda w: form_data({}),
        examples=5,
    ),
    "surveys:invitation": Case(
        None,
        lambda w: reverse("surveys:invitation", kwargs={"token": "fuzz-token"}),
        lambda w: form_data({"new_password1": hostile("a-long-new-password"),
                             "new_password2": hostile("a-long-new-password")}),
    ),
    "analysis:import": Case(
        "facilitator",
        lambda w: _study_url("analysis:import", w),
        lambda w: form_data({
            "export": st.one_of(exports, hostile()),
            "dictionary": st.one_of(exports, hostile("")),
            "tool": hostile("", "msforms", "redcap"),
            "mapping": st.one_of(st.sampled_from(MAPPINGS), hostile("")),
            "action": hostile("check", "import", "download"),
        }),
        examples=60,
    ),
    "surveys:study_new": Case(
        "facilitator",
        lambda w: reverse("surveys:study_new"),
        lambda w: form_data({
            "file": st.one_of(uploads, hostile()),
            "template": hostile("on", "1", ""),
            "slug": hostile("fuzzed", w.study.slug, "mayo-trd"),
            "title": hostile("A fuzzed study"),
        }),
        examples=40,
    ),
    "surveys:study_settings": Case(
        "facilitator", lambda w: _study_url("surveys:study_settings", w), lambda w: form_data(_settings_fields(w)),
        examples=50,
    ),
    "vignettes:study_content": Case(
        "facilitator",
        lambda w: _study_url("vignettes:study_content", w),
        lambda w: form_data({
            "kind": hostile("vignette", "option"),
            "vignette-code": hostile("new-vignette", "base"),
            "vignette-title": hostile("A vignette"),
            "vignette-base": hostile(*w.vignettes),
            "vignette-text": hostile("Ms Y is 40."),
            "vignette-change": hostile("Older"),
            "option-code": hostile("new-option", "tms"),
            "option-name": hostile("An option"),
            "option-short": hostile("Opt"),
            "option-group": hostile("add", "switch"),
        }),
        examples=40,
    ),
    "vignettes:vignette_edit": Case(
        "facilitator",
        lambda w: reverse("vignettes:vignette_edit", kwargs={"slug": w.study.slug, "pk": w.vignettes[0]}),
        lambda w: form_data({"title": hostile("A vignette"), "text": hostile("Ms Y is 40."),
                             "change": hostile("Older")}),
        examples=30,
    ),
    "vignettes:vignette_remove": Case(
        "facilitator",
        lambda w: reverse("vignettes:vignette_remove", kwargs={"slug": w.study.slug, "pk": w.vignettes[0]}),
        lambda w: form_data({}), examples=5,
    ),
    "vignettes:option_edit": Case(
        "facilitator",
        lambda w: reverse("vignettes:option_edit", kwargs={"slug": w.study.slug, "pk": w.study.options.first().pk}),
        lambda w: form_data({"name": hostile("An option"), "short": hostile("Opt"), "group": hostile("add", "switch")}),
        examples=30,
    ),
    "vignettes:option_remove": Case(
        "facilitator",
        lambda w: reverse("vignettes:option_remove", kwargs={"slug": w.study.slug, "pk": w.study.options.first().pk}),
        lambda w: form_data({}), examples=5,
    ),
    "surveys:round_new": Case(
        "facilitator", lambda w: _study_url("surveys:round_new", w),
        lambda w: form_data({"kind": hostile(*Round.Kind.values)}), examples=10,
    ),
    "surveys:round_open": Case(
        "facilitator", lambda w: _url("surveys:round_open", w.draft),
        lambda w: form_data({"deadline": st.one_of(st.just(""), odd_date, hostile())}), examples=30,
    ),
    "surveys:round_extend": Case(
        "facilitator", lambda w: _url("surveys:round_extend", w.open),
        lambda w: form_data({"deadline": st.one_of(odd_date, hostile())}), examples=30,
    ),
    "surveys:round_close": Case(
        "facilitator", lambda w: _url("surveys:round_close", w.open), lambda w: form_data({}), examples=5,
    ),
    "surveys:round_release": Case(
        "facilitator", lambda w: _url("surveys:round_release", w.closed), lambda w: form_data({}), examples=5,
    ),
    "surveys:invitation_note": Case(
        "facilitator", lambda w: reverse("surveys:invitation_note", kwargs={"slug": w.study.slug}),
        lambda w: form_data({"note": hostile("Welcome to the panel."), "preview": st.sampled_from(["", "1"])}),
        examples=30,
    ),
    "surveys:round_delete": Case(
        "facilitator", lambda w: _url("surveys:round_delete", w.draft), lambda w: form_data({}), examples=5,
    ),
    "surveys:round_remind": Case(
        "facilitator", lambda w: _url("surveys:round_remind", w.open),
        lambda w: form_data({"note": hostile("Please vote.")}), examples=30,
    ),
    "surveys:round_next": Case("facilitator", lambda w: _url("surveys:round_next", w.closed), _round_next_data,
                               examples=40),
    "surveys:statement_add": Case(
        "facilitator", lambda w: _url("surveys:statement_add", w.draft),
        lambda w: form_data({
            "vignette": hostile(*w.vignettes),
            "code": hostile("new-statement", "likert"),
            "text": hostile("TMS would be my choice."),
            "options": hostile(*w.options),
        }),
        examples=40,
    ),
    "surveys:matrix_add": Case(
        "facilitator", lambda w: _url("surveys:matrix_add", w.draft),
        lambda w: form_data({
            "matrix-vignettes": hostile(*w.vignettes),
            "matrix-options": hostile(*w.options),
            "matrix-item_type": hostile(*Item.Type.values),
            "matrix-max_choices": st.one_of(hostile("1", "2", "20", "21", "0"), odd_number),
        }),
        examples=40,
    ),
    "surveys:study_create": Case(
        "facilitator", lambda w: reverse("surveys:study_create"),
        lambda w: form_data({"slug": hostile("fresh-study", w.study.slug), **_settings_fields(w)}), examples=40,
    ),
    "surveys:round_item_edit": Case(
        "facilitator",
        lambda w: _url("surveys:round_item_edit", w.draft, pk=_draft_item(w, "top").pk),
        lambda w: form_data({"text": hostile("Reworded question"), "options": hostile(*w.options)}),
        examples=30,
    ),
    "surveys:round_item_move": Case(
        "facilitator",
        lambda w: _url("surveys:round_item_move", w.draft, pk=_draft_item(w, "comment").pk),
        lambda w: form_data({"direction": hostile("up", "down")}), examples=10,
    ),
    "surveys:round_item_remove": Case(
        "facilitator",
        lambda w: _url("surveys:round_item_remove", w.draft, pk=_draft_item(w, "comment").pk),
        lambda w: form_data({}),
        examples=5,
    ),
    "surveys:round_options_merge": Case(
        "facilitator", lambda w: _url("surveys:round_options_merge", w.draft),
        lambda w: form_data({
            "merge": hostile(*w.options),
            "code": hostile("merged", "tms"),
            "name": hostile("Merged option"),
            "short": hostile("Merged"),
            "group": hostile("add", "switch"),
        }),
        examples=40,
    ),
    "login": Case(
        None, lambda w: reverse("login"),
        lambda w: form_data({"username": hostile("panelist", "facilitator"), "password": hostile(PASSWORD),
                             "next": hostile("/", "//evil.example/")}),
        examples=30,
    ),
    "logout": Case("panelist", lambda w: reverse("logout"),
                   lambda w: form_data({"next": hostile("/", "https://evil.example/")}), examples=10),
    "password_change": Case(
        "panelist", lambda w: reverse("password_change"),
        lambda w: form_data({"old_password": hostile(PASSWORD), "new_password1": hostile("a-new-long-password"),
                             "new_password2": hostile("a-new-long-password")}),
        examples=30,
    ),
    "admin_password_change": Case(
        "staff", lambda w: reverse("admin:password_change"),
        lambda w: form_data({"old_password": hostile(PASSWORD), "new_password1": hostile("a-new-long-password"),
                             "new_password2": hostile("a-new-long-password")}),
        examples=15,
    ),
    "password_reset": Case(
        None, lambda w: reverse("password_reset"),
        lambda w: form_data({"email": st.one_of(emails, hostile("panelist@example.org"))}), examples=25,
    ),
    "password_reset_confirm": Case(
        None, lambda w: None,
        lambda w: form_data({"new_password1": hostile("a-new-long-password"),
                             "new_password2": hostile("a-new-long-password")}),
        examples=25,
        before=_set_password_page,
    ),
}


# -- the route list ----------------------------------------------------------------


def _routes(patterns, namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            # The admin is Django's own, for staff only, and tested by Django.
            if pattern.namespace == "admin":
                continue
            yield from _routes(pattern.url_patterns, pattern.namespace or namespace)
        else:
            yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), pattern.callback


def _methods(view) -> set[str] | None:
    """The methods a view accepts, read from its class or its require_http_methods decorator; None is any."""
    if hasattr(view, "view_class"):
        return {method for method in view.view_class.http_method_names if hasattr(view.view_class, method)}
    while view is not None:
        allowed = inspect.getclosurevars(view).nonlocals.get("request_method_list")
        if allowed is not None:
            return {method.lower() for method in allowed}
        view = getattr(view, "__wrapped__", None)
    return None


def _post_routes() -> set[str]:
    return {name for name, view in _routes(get_resolver().url_patterns) if "post" in (_methods(view) or {"post"})}


def test_every_post_route_has_a_fuzz_case():
    routes = _post_routes()

    assert set(CASES) == routes


def test_the_route_list_sees_get_only_views_and_the_login_page_for_what_they_are():
    routes = _post_routes()

    assert "surveys:vote" in routes and "login" in routes and "logout" in routes
    assert not {"surveys:home", "surveys:results", "analysis:results", "password_reset_done"} & routes


# -- the fuzzing -------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_fuzzed_post_is_never_a_500_and_a_refusal_saves_nothing(client, world, name):
    case = CASES[name]
    user = {"facilitator": world.facilitator, "panelist": world.panelist, "staff": world.staff, None: None}[case.actor]
    strategy = case.data(world)

    @fuzz_settings(case.examples)
    @given(data=strategy)
    def post(data):
        with rolled_back():
            client.logout()
            if user is not None:
                client.force_login(user)
            url = case.before(client, world) if case.before else case.url(world)
            before = snapshot()
            response = client.post(url, data)
            assert response.status_code < 500, response.content[:2000]
            if response.status_code not in REDIRECTS:
                assert snapshot() == before, f"{response.status_code} but the database changed"

    post()


@pytest.fixture
def reader_client(client, world):
    client.force_login(world.facilitator)
    return client


@fuzz_settings(40)
@given(
    query=form_data({
        "round": hostile("", "1", "2", "3", "4", "0"),
        "rule": hostile("", "mayo", "percent", "comet", "median_iqr", "rand_ucla"),
        "format": hostile("", "csv", "json", "xlsx", "md", "tex"),
        "include_all": hostile("on", ""),
        "table": hostile("recommendations", "not-recommended", "items", "sensitivity", "methods", "all"),
    }),
    view=st.sampled_from(["analysis:results", "analysis:download"]),
)
def test_the_results_filters_never_answer_a_500(reader_client, world, query, view):
    """The results page and its downloads read their options from the query string (GET): fuzzed the same way."""
    response = reader_client.get(reverse(view, args=[world.study.slug]), query)

    assert response.status_code < 500


# -- one field at a time: each value saved whole or refused at its field ---------


def _settings_post(**changes) -> dict:
    data = {"title": "A study", "scale_min": "1", "scale_neutral": "5", "scale_max": "9", "consensus_rule": "mayo",
            "consensus_params": "{}", "not_recommended_threshold": "50", "minimum_n": "3"}
    return {**data, **changes}


@fuzz_settings(30)
@given(title=st.one_of(odd_text, st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=60)))
def test_a_study_title_is_saved_as_one_line_or_refused_at_its_field(reader_client, world, title):
    url = reverse("surveys:study_settings", kwargs={"slug": world.study.slug})
    with rolled_back():
        before = snapshot()

        response = reader_client.post(url, _settings_post(title=title))

        tidy = title.strip()
        if tidy and len(tidy) <= 200 and "\x00" not in tidy and not off_the_line(tidy):
            assert response.status_code == 302
            world.study.refresh_from_db()
            assert world.study.title == tidy
        else:
            assert response.status_code == 400
            assert "title" in response.context["form"].errors
            assert snapshot() == before


@fuzz_settings(30)
@given(length=st.integers(7, 320), role=st.sampled_from(Membership.Role.values))
def test_an_address_of_any_length_is_invited_or_refused_at_its_field(reader_client, world, length, role):
    # Up to the 320 characters Django's email check allows; a newcomer's user name holds 150.
    address = "a" * (length - len("@b.org")) + "@b.org"
    url = reverse("surveys:study_invitations", kwargs={"slug": world.study.slug})
    with rolled_back():
        before = snapshot()

        response = reader_client.post(url, {"emails": address, "role": role})

        if length <= 150:
            assert response.status_code == 302
            assert world.study.invitations.filter(email=address).exists()
        else:
            assert response.status_code == 400
            assert "at most 150 characters" in response.context["form"].errors["emails"][0]
            assert snapshot() == before


# -- what the fuzzing found, pinned ----------------------------------------------


@pytest.mark.parametrize("typed", ["²", "9" * 5000])
def test_a_rank_that_int_refuses_is_refused_and_the_page_shown_again(client, world, typed):
    # "²".isdigit() is true but int("²") fails, and int() refuses 5000 digits: the re-shown page crashed.
    rank = _items(world.open)["rank"]
    option = rank.item_options.first().option_id
    client.force_login(world.panelist)
    before = snapshot()

    response = client.post(_url("surveys:vote", world.open), {"action": "save", f"{field_name(rank)}-{option}": typed})

    assert response.status_code == 400
    assert "Use whole numbers from 1 to 3." in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("name, field", [("surveys:statement_add", "options"), ("surveys:matrix_add", "matrix-vignettes")])
def test_an_id_beyond_64_bits_is_refused_as_not_a_valid_value(client, world, name, field):
    # Django's `pk__in` has no overflow guard: SQLite raised OverflowError, a 500 (PostgreSQL found no row).
    client.force_login(world.facilitator)
    before = snapshot()

    response = client.post(_url(name, world.draft), {field: [world.options[0], str(2**63)]})

    assert response.status_code == 400
    assert f"“{2**63}” is not a valid value." in response.content.decode()
    assert snapshot() == before


def test_a_nul_in_a_comment_is_refused_next_to_the_field(client, world):
    # PostgreSQL cannot store a NUL: it must be a field error, never reach the database.
    comment = _items(world.open)["comment"]
    client.force_login(world.panelist)
    before = snapshot()

    response = client.post(_url("surveys:vote", world.open), {"action": "save", field_name(comment): "a\x00b"})

    assert response.status_code == 400
    assert "Null characters are not allowed." in response.content.decode()
    assert snapshot() == before


def test_deeply_nested_rule_parameters_are_refused_as_a_field_error(client, world):
    client.force_login(world.facilitator)
    before = snapshot()
    data = {
        "title": "A study",
        "scale_min": "1",
        "scale_neutral": "5",
        "scale_max": "9",
        "consensus_rule": "mayo",
        "consensus_params": "[" * 100_000 + "]" * 100_000,
        "not_recommended_threshold": "50",
    }

    response = client.post(_study_url("surveys:study_settings", world), data)

    # Python's JSON parser gave up with a RecursionError, a 500.
    assert response.status_code == 400
    assert "The JSON is nested too deeply." in response.content.decode()
    assert snapshot() == before


def test_a_username_longer_than_any_account_is_refused_next_to_the_field(client, world):
    # It went on to django-axes, whose failed sign-in log holds 255 characters: a 500 on PostgreSQL.
    before = snapshot()

    response = client.post(reverse("login"), {"username": "0" * 256, "password": PASSWORD})

    assert response.status_code == 200
    assert "Ensure this value has at most 150 characters (it has 256)." in response.content.decode()
    assert not AccessAttempt.objects.exists()
    assert snapshot() == before
