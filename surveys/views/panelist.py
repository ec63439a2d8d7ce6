"""The panelist's pages: a round's ballot with the last round's feedback, and a closed round's released results."""

import logging
from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from surveys.access import get_round_for_panelist
from surveys.forms.panelist import RoundAnswersForm
from surveys.models import Ballot, Round
from surveys.selectors.feedback import comments_for, round_feedback, round_panel_size
from surveys.selectors.panelist import ballot_answers, round_items
from surveys.services import ServiceError, voting

logger = logging.getLogger(__name__)


@require_http_methods(["GET", "POST"])
@login_required
def vote(request, slug: str, number: int):
    membership, round = get_round_for_panelist(request, slug, number)
    if not round.accepts_answers():
        if request.method == "POST":
            messages.error(request, _("This round has closed; your answers were not saved."))
        status = 403 if request.method == "POST" else 200
        return render(request, "surveys/panelist/round_closed.html", {"round": round}, status=status)

    items = round_items(round=round)
    submitted = round.completion_status == Ballot.Status.SUBMITTED
    status = 200
    if request.method == "POST":
        # Once submitted, every save is a submission: a draft must not leave required items empty.
        submitting = submitted or request.POST.get("action") == "submit"
        form = RoundAnswersForm(
            request.POST, items=items, answers={}, neutral=round.study.scale_neutral, submitting=submitting
        )
        if not form.is_valid():
            status = 400
        else:
            write = voting.answers_submit if submitting else voting.answers_save
            try:
                write(round=round, membership=membership, answers=form.answers())
            except ServiceError as error:
                messages.error(request, str(error))
                return render(request, "surveys/panelist/round_closed.html", {"round": round}, status=403)
            except DatabaseError:
                # The service's transaction has rolled back, so nothing of this
                # POST is stored. The page shows the panelist's input again, so
                # pressing the button once more is all it takes.
                logger.exception("A vote could not be written; its transaction was rolled back")
                messages.error(
                    request,
                    _(
                        "Your answers could not be saved because of a problem on our side. Nothing of this "
                        "attempt was stored. Your answers are still on this page: please press the button "
                        "again in a moment."
                    ),
                )
                status = 503
            else:
                if submitting:
                    messages.success(
                        request,
                        _("Thank you: your answers are submitted. You can change them until the round closes."),
                    )
                    return redirect("surveys:home")
                messages.success(request, _("Draft saved. Nothing is submitted until you press “Submit”."))
                return redirect("surveys:vote", slug=slug, number=number)
    else:
        form = RoundAnswersForm(
            items=items, answers=ballot_answers(membership=membership, round=round), neutral=round.study.scale_neutral
        )

    if status == 503:
        # The database may be what failed: the page is built from what is
        # already in hand, the panelist's input, without the panel's feedback.
        feedback, comments = {}, {}
    else:
        feedback = round_feedback(
            round=round, items=items, user=request.user, panel=round.previous_panel, lineage=True
        )
        comments = comments_for(round=round, previous=True, panel=round.previous_panel)
    entries = form.entries()
    context = {
        "round": round,
        "study": round.study,
        "form": form,
        "groups": _by_vignette(entries, feedback, comments),
        "submitted": submitted,
        "answered": sum(1 for entry in entries if entry.value not in (None, "", [], {})),
    }
    return render(request, "surveys/panelist/vote.html", context, status=status)


def _by_vignette(entries, feedback, comments):
    groups = []
    for vignette, group in groupby(entries, key=lambda entry: entry.item.vignette):
        group = list(group)
        for entry in group:
            entry.feedback = feedback.get(entry.item.pk)
        groups.append(
            {"vignette": vignette, "entries": group, "comments": comments.get(vignette.pk if vignette else None, [])}
        )
    return groups


@require_GET
@login_required
def results(request, slug: str, number: int):
    """The group results of a closed round, once the facilitator has released them."""
    membership, round = get_round_for_panelist(request, slug, number)
    if round.status != Round.Status.CLOSED or round.results_released_at is None:
        raise Http404
    items = round_items(round=round)
    panel = round_panel_size(round=round)
    feedback = round_feedback(round=round, items=items, user=request.user, panel=panel, lineage=False)
    comments = comments_for(round=round, previous=False, panel=panel)
    groups = []
    for vignette, group in groupby(items, key=lambda item: item.vignette):
        rows = [(item, feedback[item.pk]) for item in group if item.pk in feedback]
        vignette_comments = comments.get(vignette.pk if vignette else None, [])
        groups.append({"vignette": vignette, "rows": rows, "comments": vignette_comments})
    context = {"round": round, "study": round.study, "groups": groups, "panel": panel}
    return render(request, "surveys/panelist/results.html", context)
