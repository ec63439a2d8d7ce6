"""The panelist's pages: a round's ballot with the last round's feedback, and a closed round's released results."""

import logging
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db import DatabaseError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from surveys.access import get_round_for_panelist
from surveys.forms.panelist import RoundAnswersForm
from surveys.models import Ballot, Round
from surveys.pending import pending_keep, pending_take
from surveys.selectors.feedback import comments_for, round_feedback, round_panel_size
from surveys.selectors.panelist import ballot_answers, round_items
from surveys.services import ServiceError, voting

logger = logging.getLogger(__name__)

# The voting form's buttons (and its autosave, a draft).
ACTIONS = ("draft", "submit")
# How long after a panelist's last change the page saves their draft by itself.
AUTOSAVE_SECONDS = 3


def _signed_in_keeping_input(view):
    """login_required, except that a vote sent from an expired session is kept for after the sign-in.

    An autosave from an expired session is answered 401: the page keeps
    its input and says so, and the panelist's next press of a button comes
    here with the whole form.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if request.method == "POST" and request.POST.get("action") in ACTIONS:
            if request.POST.get("autosave"):
                return JsonResponse({"status": "signed_out"}, status=401)
            pending_keep(request)
            messages.info(
                request,
                _("Your session had ended, so your answers were not saved yet. They are kept: sign in again "
                  "and they will be submitted.")
                if request.POST["action"] == "submit"
                else _("Your session had ended, so your draft was not saved yet. It is kept: sign in again "
                       "and it will be saved."),
            )
        return redirect_to_login(request.get_full_path())

    return wrapped


@require_http_methods(["GET", "POST"])
@_signed_in_keeping_input
def vote(request, slug: str, number: int):
    # Taken out first, so that it is used at most once, whatever follows; a
    # newer POST of the same page replaces it.
    kept = pending_take(request)
    data = request.POST if request.method == "POST" else kept
    membership, round = get_round_for_panelist(request, slug, number)
    autosave = request.method == "POST" and bool(data.get("autosave"))
    if not round.accepts_answers():
        if data is not None:
            if autosave:
                return JsonResponse({"status": "closed"}, status=403)
            messages.error(request, _("This round has closed; your answers were not saved."))
        status = 403 if data is not None else 200
        return render(request, "surveys/panelist/round_closed.html", {"round": round}, status=status)

    items = round_items(round=round)
    submitted = round.completion_status == Ballot.Status.SUBMITTED
    status = 200
    if data is not None:
        if autosave and submitted:
            # A submission changes only when its panelist presses the button.
            return JsonResponse({"status": "submitted"}, status=409)
        # Once submitted, every save is a submission: a draft must not leave required items empty.
        submitting = submitted or data.get("action") == "submit"
        form = RoundAnswersForm(data, items=items, answers={}, neutral=round.study.scale_neutral, submitting=submitting)
        if not form.is_valid():
            status = 400
            if autosave:
                return JsonResponse({"status": "invalid"}, status=status)
        else:
            write = voting.answers_submit if submitting else voting.answers_save
            try:
                write(round=round, membership=membership, answers=form.answers())
            except ServiceError as error:
                if autosave:
                    return JsonResponse({"status": "closed"}, status=403)
                messages.error(request, str(error))
                return render(request, "surveys/panelist/round_closed.html", {"round": round}, status=403)
            except DatabaseError:
                # The service's transaction has rolled back, so nothing of this
                # POST is stored. The page shows the panelist's input again, so
                # pressing the button once more is all it takes.
                logger.exception("A vote could not be written; its transaction was rolled back")
                if autosave:
                    return JsonResponse({"status": "failed"}, status=503)
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
                if autosave:
                    return JsonResponse({"status": "saved"})
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

    return ballot_page(
        request,
        round=round,
        form=form,
        panel=round.previous_panel,
        # The database may be what failed: the page is built from what is
        # already in hand, the panelist's input, without the panel's feedback.
        feedback=status != 503,
        submitted=submitted,
        has_draft=round.completion_status == Ballot.Status.DRAFT,
        status=status,
    )


def ballot_page(
    request,
    *,
    round: Round,
    form: RoundAnswersForm,
    panel: int | None,
    feedback: bool = True,
    submitted: bool = False,
    has_draft: bool = False,
    preview: bool = False,
    status: int = 200,
):
    """The voting page: the round's items by vignette, each with the last round's feedback.

    The facilitator's preview (surveys.views.facilitator.preview) draws the
    same page, as the panel will see it, with nothing to save.
    """
    if feedback:
        shown = round_feedback(round=round, items=form.items, user=request.user, panel=panel, lineage=True)
        comments = comments_for(round=round, previous=True, panel=panel)
    else:
        shown, comments = {}, {}
    entries = form.entries()
    for entry in entries:
        entry.feedback = shown.get(entry.item.pk, ())
    groups = by_vignette(entries, key=lambda entry: entry.item.vignette, comments=comments)
    context = {
        "round": round,
        "study": round.study,
        "form": form,
        "groups": groups,
        # A variation links to its base vignette's text when the page shows it, rather than repeat it.
        "shown_vignettes": {group["vignette"].pk for group in groups if group["vignette"]},
        "submitted": submitted,
        "has_draft": has_draft,
        "preview": preview,
        "autosave_seconds": AUTOSAVE_SECONDS,
        "answered": sum(1 for entry in entries if entry.value not in (None, "", [], {})),
    }
    return render(request, "surveys/panelist/vote.html", context, status=status)


def by_vignette(rows, *, key, comments) -> list[dict]:
    """Rows grouped by their vignette, each vignette once, in the order its first row comes.

    A round's items need not keep a vignette's items together (a matrix
    added after another asks the base vignette again): the page shows each
    vignette's text once, with all its items.
    """
    groups: dict[int | None, dict] = {}
    for row in rows:
        vignette = key(row)
        pk = vignette.pk if vignette else None
        if pk not in groups:
            groups[pk] = {"vignette": vignette, "rows": [], "comments": comments.get(pk, [])}
        groups[pk]["rows"].append(row)
    return list(groups.values())


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
    rows = [(item, feedback[item.pk]) for item in items if item.pk in feedback]
    context = {
        "round": round,
        "study": round.study,
        "groups": by_vignette(rows, key=lambda row: row[0].vignette, comments=comments),
        "panel": panel,
    }
    return render(request, "surveys/panelist/results.html", context)
