"""The home page: each of the user's studies with its rounds, and a panelist's progress in the open ones."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from surveys.models import Membership, Round
from surveys.selectors.panelist import answered_counts, memberships_for_user


@require_GET
@login_required
def home(request):
    memberships = memberships_for_user(user=request.user)
    # Progress needs the answers, so it is fetched only for rounds a panelist can vote in.
    votable = [
        round
        for m in memberships
        if m.role == Membership.Role.PANELIST
        for round in m.study.rounds.all()
        if round.status == Round.Status.OPEN
    ]
    answered = answered_counts(user=request.user, rounds=votable)
    for round in votable:
        round.answered = answered.get(round.pk, 0)
    return render(request, "surveys/home.html", {"memberships": memberships})
