"""Reads for studies, rounds and items. Each owns its joins."""

from django.db.models import Prefetch, QuerySet

from surveys.models import Membership, Round


def memberships_for_user(*, user) -> QuerySet[Membership]:
    """The user's memberships with their study and its rounds, for the home page."""
    return (
        Membership.objects.filter(user=user)
        .select_related("study")
        .prefetch_related(Prefetch("study__rounds", queryset=Round.objects.order_by("number")))
        .order_by("study__title")
    )
