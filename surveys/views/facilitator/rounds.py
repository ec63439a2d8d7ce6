"""Running a round: its dashboard, a new draft round, open, extend, close, release, remind, delete a draft.

Every step is a POST that calls one service; a refusal (the round's state
forbids the step) shows the dashboard again with a 409. The steps that
cannot be undone, or not easily (open, close, release, delete), answer GET
with a page that says what they will do and holds the POST form.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from surveys.access import get_round_for_facilitator, get_study_for_facilitator
from surveys.forms.facilitator.builder import MatrixForm, StatementForm
from surveys.forms.facilitator.rounds import DeadlineForm, OpenForm, ReminderForm
from surveys.models import Round
from surveys.selectors.facilitator import round_completion, round_items_with_lineage
from surveys.services import ServiceError, rounds
from surveys.views.facilitator.confirm import confirm_page


def round_page(request, round: Round, *, status: int = 200, **forms):
    """The round's dashboard; forms passed in carry their errors back to the page."""
    context = {
        "study": round.study,
        "round": round,
        "completion": round_completion(round=round),
        "extend_form": forms.get("extend_form") or DeadlineForm(required=True, zone=round.study.time_zone),
        "reminder_form": forms.get("reminder_form") or ReminderForm(),
        "statement_form": forms.get("statement_form") or StatementForm(study=round.study),
        "matrix_form": forms.get("matrix_form") or MatrixForm(study=round.study, prefix=MatrixForm.PREFIX),
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


def _manage_url(round: Round) -> str:
    return reverse("surveys:round_manage", kwargs={"slug": round.study.slug, "number": round.number})


def _confirm(request, round: Round, step: str, *, heading: str, button: str, status: int = 200, **context):
    return confirm_page(
        request, step, study=round.study, heading=heading, button=button, cancel_url=_manage_url(round),
        status=status, round=round, **context,
    )


@require_http_methods(["GET", "POST"])
@login_required
def round_open(request, slug: str, number: int):
    """The deadline and what opening means (GET), then the opening (POST)."""
    round = get_round_for_facilitator(request, slug, number)
    form = OpenForm(request.POST if request.method == "POST" else None, zone=round.study.time_zone)

    def page(status: int = 200, error: str = ""):
        return _confirm(
            request, round, "round_open", status=status, error=error, form=form,
            heading=_("Open round %(number)s?") % {"number": round.number}, button=_("Open the round"),
            button_class="btn-primary", completion=round_completion(round=round), items=round.items.count(),
        )

    if request.method == "GET":
        return page()
    if not form.is_valid():
        return page(status=400)
    try:
        rounds.round_open(round=round, by=request.user, **form.cleaned_data)
    except ServiceError as error:
        if error.field in form.fields:
            form.add_error(error.field, str(error))
            return page(status=409)
        return page(status=409, error=str(error))
    messages.success(request, _("The round is open."))
    return redirect("surveys:round_manage", slug=slug, number=number)


@require_POST
@login_required
def round_extend(request, slug: str, number: int):
    round = get_round_for_facilitator(request, slug, number)
    return round_form_step(
        request, round, DeadlineForm(request.POST, required=True, zone=round.study.time_zone),
        name="extend_form", service=rounds.round_extend,
        success=_("The deadline is extended."),
    )


@require_http_methods(["GET", "POST"])
@login_required
def round_close(request, slug: str, number: int):
    round = get_round_for_facilitator(request, slug, number)
    if request.method == "GET":
        return _confirm(
            request, round, "round_close", heading=_("Close round %(number)s now?") % {"number": round.number},
            button=_("Close now"), completion=round_completion(round=round),
        )
    return round_step(request, round, rounds.round_close, success=_("The round is closed; no more votes are taken."))


@require_http_methods(["GET", "POST"])
@login_required
def round_release(request, slug: str, number: int):
    round = get_round_for_facilitator(request, slug, number)
    if request.method == "GET":
        return _confirm(
            request, round, "round_release",
            heading=_("Release the results of round %(number)s to the panel?") % {"number": round.number},
            button=_("Release the results"),
        )
    return round_step(request, round, rounds.round_results_release, success=_("The panel can now see the results."))


@require_http_methods(["GET", "POST"])
@login_required
def round_delete(request, slug: str, number: int):
    """A draft round goes, to be built or drafted again; an opened one stays on record."""
    round = get_round_for_facilitator(request, slug, number)
    if request.method == "GET":
        return _confirm(
            request, round, "round_delete", heading=_("Delete draft round %(number)s?") % {"number": round.number},
            button=_("Delete the draft"), items=round.items.count(),
        )
    try:
        rounds.round_delete(round=round, by=request.user)
    except ServiceError as error:
        messages.error(request, str(error))
        return round_page(request, round, status=409)
    messages.success(request, _("Draft round %(number)s is deleted.") % {"number": number})
    return redirect("surveys:home")


@require_POST
@login_required
def round_remind(request, slug: str, number: int):
    round = get_round_for_facilitator(request, slug, number)
    return round_form_step(
        request, round, ReminderForm(request.POST), name="reminder_form", service=rounds.reminders_send,
        success=_("Reminders are on their way to everyone who has not submitted."),
    )
