"""Every study object a page shows is fetched here, for one role, or the page answers 404.

A study is invisible to anyone without the right membership: outsiders,
panelists on a facilitator's page, and staff too (to read a study they join
it). Each helper returns objects with what the page reads already joined.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from surveys.models import Invitation, Item, Membership, Round, Study
from surveys.selectors.facilitator import round_item
from surveys.selectors.panelist import panelist_membership, panelist_round

READER_ROLES = (Membership.Role.FACILITATOR, Membership.Role.ANALYST)


def study_creator_required(view):
    """The view for accounts allowed to create studies; a 403 that says whom to ask for anyone else."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.has_perm(Study.CREATE_PERMISSION):
            raise PermissionDenied(
                _("Your account may not create studies. The platform's operator can allow it "
                  "by adding you to the “%(group)s” group.") % {"group": Study.CREATORS_GROUP}
            )
        return view(request, *args, **kwargs)

    return wrapped


def _membership(request, slug: str, roles) -> Membership:
    membership = (
        Membership.objects.select_related("study")
        .filter(user=request.user, study__slug=slug, role__in=roles, is_active=True)
        .first()
    )
    if membership is None:
        raise Http404
    in_study_zone(membership.study)
    return membership


def in_study_zone(study: Study) -> Study:
    """Times on the study's pages are typed and shown in its time zone, for the rest of the request."""
    timezone.activate(study.zone)
    return study


def get_study_for_facilitator(request, slug: str) -> Study:
    return _membership(request, slug, (Membership.Role.FACILITATOR,)).study


def get_study_for_reader(request, slug: str) -> Study:
    """The study for its facilitators and analysts, who read its results."""
    return _membership(request, slug, READER_ROLES).study


def get_round_for_facilitator(request, slug: str, number: int) -> Round:
    round = (
        Round.objects.select_related("study")
        .filter(
            study__slug=slug,
            number=number,
            study__memberships__user=request.user,
            study__memberships__role=Membership.Role.FACILITATOR,
            study__memberships__is_active=True,
        )
        .first()
    )
    if round is None:
        raise Http404
    in_study_zone(round.study)
    return round


def get_item_for_facilitator(request, slug: str, number: int, pk: int) -> Item:
    item = round_item(round=get_round_for_facilitator(request, slug, number), pk=pk)
    if item is None:
        raise Http404
    return item


def get_invitation_for_facilitator(request, slug: str, pk: int) -> Invitation:
    study = get_study_for_facilitator(request, slug)
    return get_object_or_404(Invitation.objects.select_related("study"), study=study, pk=pk)


def get_member_for_facilitator(request, slug: str, pk: int) -> Membership:
    study = get_study_for_facilitator(request, slug)
    return get_object_or_404(Membership.objects.select_related("study", "user"), study=study, pk=pk)


def get_round_for_panelist(request, slug: str, number: int) -> tuple[Membership, Round]:
    """The round and the user's panel membership; a draft round is not there yet for the panel."""
    membership = panelist_membership(user=request.user, slug=slug)
    round = panelist_round(membership=membership, number=number) if membership else None
    if round is None or round.status == Round.Status.DRAFT:
        raise Http404
    in_study_zone(round.study)
    return membership, round
