"""Running a round: its dashboard, a new draft round, open, extend, close, release, remind.

Every step is a POST that calls one service; a refusal (the round's state
forbids the step) shows the dashboard again with a 409.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from surveys.access import get_round_for_facilitator, get_study_for_facilitator
from surveys.forms.facilitator.builder import MatrixForm, StatementForm
from surveys.forms.facilitator.rounds import DeadlineForm, ReminderForm
from surveys.models import Round
from surveys.selectors.facilitator import round_completion, round_items_with_lineage
from surveys.services import ServiceError, rounds


def round_page(request, round: Round, *, status: int = 200, **forms):
    """The round's dashboard; forms passed in carry their errors back to the page."""
    context = {
        "study": round.study,
        "round": round,
        "completion": round_completion(round=round),
        "open_form": forms.get("open_form") or DeadlineForm(),
        "extend_form": forms.get("extend_form") or DeadlineForm(required=True),
        "reminder_form": forms.get("reminder_form") or ReminderForm(),
        "statement_form": forms.get("statement_form") or StatementForm(study=round.study),
        "matrix_form": forms.get("matrix_form") or MatrixForm(study=round.study),
        "items": round_items_with_lineage(round=round) if round.status == Round.Status.DRAFT else [],
    }
    return render(request, "surveys/facilitator/round_manage.html", context, status=status)


def round_step(request, round: Round, service, *, success: str, **kwargs):
    """Runs one service for a POST; a refusal (the round's state forbids the step) is shown with a 409."""
    try:
        service(round=round, by=request.user, **kwargs)
    except ServiceError as error:
        messages.error(request, str(error))
        return round_page(request, round, status=409)
    messages.success(request, success)
    return redirect("surveys:round_manage", slug=round.study.slug, number=round.number)


def round_form_step(request, round: Round, form, *, name: str, service, success: str, **kwargs):
    """A POST of one of the dashboard's forms, named `name` on the page; its cleaned fields are the service's arguments.

    A refused form shows the dashboard again with its errors and a 400.
    """
    if not form.is_valid():
        return round_page(request, round, status=400, **{name: form})
    return round_step(request, round, service, success=success, **form.cleaned_data, **kwargs)


@require_GET
@login_required
def round_manage(request, slug: str, number: int):
    return round_page(request, get_round_for_facilitator(request, slug, number))


@require_POST
@login_required
def round_new(request, slug: str):
    study = get_study_for_facilitator(request, slug)
    kind = request.POST.get("kind", Round.Kind.CONSENSUS)
    if kind not in Round.Kind.values:
        return HttpResponse(_("Unknown kind of round."), status=400)
    try:
        round = rounds.round_add(study=study, kind=kind, by=request.user)
    except ServiceError as error:
        messages.error(request, str(error))
        return redirect("surveys:home")
    messages.success(request, _("Round %(number)s is drafted; add its items.") % {"number": round.number})
    return redirect("surveys:round_manage", slug=slug, number=round.number)


@require_POST
@login_required
def round_open(request, slug: str, number: int):
    round = get_round_for_facilitator(request, slug, number)
    return round_form_step(
        request, round, DeadlineForm(request.POST), name="open_form", service=rounds.round_open,
        success=_("The round is open."),
    )


@require_POST
@login_required
def round_extend(request, slug: str, number: int):
    round = get_round_for_facilitator(request, slug, number)
    return round_form_step(
        request, round, DeadlineForm(request.POST, required=True), name="extend_form", service=rounds.round_extend,
        success=_("The deadline is extended."),
    )


@require_POST
@login_required
def round_close(request, slug: str, number: int):
    round = get_round_for_facilitator(request, slug, number)
    return round_step(request, round, rounds.round_close, success=_("The round is closed; no more votes are taken."))


@require_POST
@login_required
def round_release(request, slug: str, number: int):
    round = get_round_for_facilitator(request, slug, number)
    return round_step(request, round, rounds.round_results_release, success=_("The panel can now see the results."))


@require_POST
@login_required
def round_remind(request, slug: str, number: int):
    round = get_round_for_facilitator(request, slug, number)
    return round_form_step(
        request, round, ReminderForm(request.POST), name="reminder_form", service=rounds.reminders_send,
        success=_("Reminders are on their way to everyone who has not submitted."),
    )
