"""Every facilitator page answers 404 to outsiders, panelists and analysts of the study, whatever the method.

The list is read from the URLconf: a new facilitator route that is not
classified here fails the test until someone decides who may reach it.
"""

import pytest
from django.urls import get_resolver, reverse

from surveys.models import Invitation, Membership, Round
from tests.factories import InvitationFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

FACILITATOR_ONLY = {
    *(f"surveys:{name}" for name in (
        "study_invitations", "invitation_note", "invitation_revoke", "invitation_resend", "member_remove", "study_file", "history", "study_settings",
        "round_manage", "round_preview", "round_open", "round_extend", "round_close", "round_release", "round_delete", "round_remind",
        "round_next",
        "statement_add", "matrix_add", "round_new",
        "round_item_edit", "round_item_remove", "round_item_move", "round_options_merge",
    )),
    "vignettes:study_content",
    "vignettes:vignette_edit",
    "vignettes:vignette_remove",
    "vignettes:option_edit",
    "vignettes:option_remove",
}
# Reached by other roles on purpose: the home page, the panelist's voting and
# released results, the invitation link itself and creating a new study.
OTHERS = {f"surveys:{name}" for name in ("home", "vote", "results", "invitation", "study_new", "study_create")}


def _routes(namespace: str) -> set[str]:
    _prefix, resolver = get_resolver().namespace_dict[namespace]
    return {f"{namespace}:{pattern.name}" for pattern in resolver.url_patterns}


def test_every_surveys_and_vignettes_route_is_classified():
    assert _routes("surveys") | _routes("vignettes") == FACILITATOR_ONLY | OTHERS


@pytest.mark.parametrize("who", ["outsider", "panelist", "analyst"])
def test_facilitator_pages_are_404_to_everyone_else(client, mayo_study, who):
    round_ = mayo_study.rounds.get(number=1)
    round_.status = Round.Status.CLOSED
    round_.save()
    invitation = InvitationFactory(study=mayo_study)
    user = UserFactory(username=who)
    if who != "outsider":
        MembershipFactory(study=mayo_study, user=user, role=who)
    client.force_login(user)
    slug = mayo_study.slug

    for route in sorted(FACILITATOR_ONLY):
        name = route.split(":")[1]
        kwargs = {"slug": slug}
        if name.startswith(("round_", "statement_", "matrix_")) and name != "round_new":
            kwargs["number"] = 1
        if name in ("invitation_revoke", "invitation_resend"):
            kwargs["pk"] = invitation.pk
        if name == "member_remove":
            kwargs["pk"] = invitation.membership_id
        if name in ("round_item_edit", "round_item_remove", "round_item_move"):
            kwargs["pk"] = round_.items.first().pk
        if name in ("vignette_edit", "vignette_remove"):
            kwargs["pk"] = mayo_study.vignettes.first().pk
        if name in ("option_edit", "option_remove"):
            kwargs["pk"] = mayo_study.options.first().pk
        url = reverse(route, kwargs=kwargs)
        for method in ("get", "post"):
            status = getattr(client, method)(url).status_code
            assert status in (404, 405), f"{who} {method.upper()} {name}: {status}"
            if method == "get" and status == 405:
                assert client.post(url).status_code == 404, f"{who} POST {name}"
    round_.refresh_from_db()
    assert (round_.status, round_.results_released_at) == (Round.Status.CLOSED, None)
    assert Round.objects.filter(study=mayo_study).count() == 1
    assert round_.items.count() == 21 and mayo_study.options.count() == 11
    assert Invitation.objects.get().revoked_at is None
    assert Membership.objects.filter(pk=invitation.membership_id).exists()
    assert Membership.objects.filter(study=mayo_study, role="facilitator").count() == 0
