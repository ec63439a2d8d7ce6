"""The home page: each of the user's studies with its rounds, and a panelist's progress in the open ones."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from surveys.models import Membership, Round, Study
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
    # A panel-only account's home is its rounds: the study-creation button is
    # for those who run studies (or have none yet); /studies/new/ stays open
    # to anyone the deployment lets create one.
    runs_studies = not memberships or any(m.role == Membership.Role.FACILITATOR for m in memberships)
    offer_new_study = runs_studies and request.user.has_perm(Study.CREATE_PERMISSION)
    return render(request, "surveys/home.html", {"memberships": memberships, "offer_new_study": offer_new_study})
