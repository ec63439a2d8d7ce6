"""A round's ballot as the panel will see it, for its facilitators, before and while it is open.

The panelist's own page (surveys.views.panelist.ballot_page) with no
answers, the last round's feedback as a panelist who did not answer then
would see it, and no button that saves: the page has nothing to send to.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.views.decorators.http import require_GET

from surveys.access import get_round_for_facilitator
from surveys.forms.panelist import RoundAnswersForm
from surveys.models import Round
from surveys.selectors.feedback import previous_panel_size
from surveys.selectors.panelist import round_items
from surveys.views.panelist import ballot_page


@require_GET
@login_required
def round_preview(request, slug: str, number: int):
    round = get_round_for_facilitator(request, slug, number)
    if round.status == Round.Status.CLOSED:
        raise Http404
    form = RoundAnswersForm(items=round_items(round=round), answers={}, neutral=round.study.scale_neutral)
    return ballot_page(request, round=round, form=form, panel=previous_panel_size(round=round), preview=True)
