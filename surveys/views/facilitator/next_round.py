"""Drafting the next round from a closed one: carry, reword, merge, drop, and statements from top choices.

The page reads the closed round's verdicts and top choices from
analysis.drafting, which the import contracts allow this module alone.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from analysis.drafting import RoundReview
from surveys.access import get_round_for_facilitator
from surveys.forms.facilitator.rounds import NextRoundForm
from surveys.models import Round
from surveys.selectors.facilitator import round_items_with_lineage
from surveys.services import ServiceError
from surveys.services.lineage import Merge, round_create_next


@require_http_methods(["GET", "POST"])
@login_required
def round_next(request, slug: str, number: int):
    """Drafts round N+1 from this round: carry, reword, merge, drop."""
    round = get_round_for_facilitator(request, slug, number)
    items = round_items_with_lineage(round=round)
    threshold = _draft_threshold(request)
    review = RoundReview(round) if round.status == Round.Status.CLOSED else None
    drafts = review.drafts(threshold) if review else []
    results = review.results() if review else {}
    form = NextRoundForm(request.POST if request.method == "POST" else None, round=round, items=items, drafts=drafts)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            if data["mode"] == NextRoundForm.ALL:
                carry = {item.pk for item in items}
            elif data["mode"] == NextRoundForm.NO_CONSENSUS:
                carry = review.without_consensus(items) if review else set()
            elif data["mode"] == NextRoundForm.NEW_ONLY:
                carry = set()
            else:
                carry = {int(pk) for pk in data["carry"]}
            merged = {int(pk) for pk in data["merge"]}
            merges = []
            if merged:
                merges.append(Merge(parents=tuple(sorted(merged)), code=data["merge_code"], text=data["merge_text"]))
            try:
                following = round_create_next(
                    round=round,
                    carry=carry - merged,
                    rewordings=form.rewordings(),
                    merges=merges,
                    drop_vignettes={int(pk) for pk in data["drop"]},
                    new_statements=form.new_statements(),
                    kind=data["kind"],
                    by=request.user,
                )
            except ServiceError as error:
                form.add_error(error.field if error.field in form.fields else None, str(error))
                status = 409
            else:
                messages.success(request, _("Round %(number)s is drafted.") % {"number": following.number})
                return redirect("surveys:round_manage", slug=slug, number=following.number)
        else:
            status = 400
    context = {
        "study": round.study,
        "round": round,
        "form": form,
        "threshold": threshold,
        "results": [(item, results.get(item.code)) for item in items],
    }
    return render(request, "surveys/facilitator/round_next.html", context, status=status)


DEFAULT_DRAFT_THRESHOLD = 50


def _draft_threshold(request) -> float:
    """The share of the panel (GET ?threshold=) whose top choices make a drafted statement; bad values fall back."""
    try:
        value = float(request.GET.get("threshold", DEFAULT_DRAFT_THRESHOLD))
    except ValueError:
        return DEFAULT_DRAFT_THRESHOLD
    return value if 0 < value <= 100 else DEFAULT_DRAFT_THRESHOLD


