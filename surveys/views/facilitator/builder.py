"""Building a draft round: a statement or a matrix added, an item edited or removed, options merged."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from surveys.access import get_item_for_facilitator, get_round_for_facilitator
from surveys.forms.facilitator.builder import ItemEditForm, MatrixForm, OptionMergeForm, StatementForm
from surveys.models import Item, Round
from surveys.services import ServiceError, builder
from surveys.views.facilitator.confirm import confirm_page
from surveys.views.facilitator.rounds import round_form_step


def _round_manage(round: Round):
    return redirect("surveys:round_manage", slug=round.study.slug, number=round.number)


@require_POST
@login_required
def statement_add(request, slug: str, number: int):
    round = get_round_for_facilitator(request, slug, number)
    return round_form_step(
        request, round, StatementForm(request.POST, study=round.study), name="statement_form",
        service=builder.statement_add, success=_("The statement is added."),
    )


@require_POST
@login_required
def matrix_add(request, slug: str, number: int):
    round = get_round_for_facilitator(request, slug, number)
    return round_form_step(
        request, round, MatrixForm(request.POST, study=round.study, prefix=MatrixForm.PREFIX), name="matrix_form",
        service=builder.matrix_add, success=_("The items are added."),
    )


def _item_page(request, item: Item, form: ItemEditForm, *, status: int = 200):
    context = {"study": item.round.study, "round": item.round, "item": item, "form": form}
    return render(request, "surveys/facilitator/item_edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def item_edit(request, slug: str, number: int, pk: int):
    item = get_item_for_facilitator(request, slug, number, pk)
    study = item.round.study
    if request.method == "GET":
        return _item_page(request, item, ItemEditForm(item=item, study=study))
    form = ItemEditForm(request.POST, item=item, study=study)
    if not form.is_valid():
        return _item_page(request, item, form, status=400)
    try:
        builder.item_update(
            item=item, text=form.cleaned_data["text"], options=form.cleaned_data.get("options"), by=request.user
        )
    except ServiceError as error:
        form.add_error(error.field, str(error))
        return _item_page(request, item, form, status=409)
    messages.success(request, _("Item %(code)s is saved.") % {"code": item.code})
    return _round_manage(item.round)


@require_http_methods(["GET", "POST"])
@login_required
def item_remove(request, slug: str, number: int, pk: int):
    """What removing the item means (GET), then the removal (POST)."""
    item = get_item_for_facilitator(request, slug, number, pk)
    if request.method == "GET":
        return confirm_page(
            request, "item_remove", study=item.round.study, round=item.round, item=item,
            heading=_("Remove item %(code)s from round %(number)s?") % {"code": item.code, "number": item.round.number},
            button=_("Remove the item"),
            cancel_url=reverse("surveys:round_item_edit", kwargs={"slug": slug, "number": number, "pk": pk}),
        )
    try:
        builder.item_remove(item=item, by=request.user)
    except ServiceError as error:
        messages.error(request, str(error))
        return _item_page(request, item, ItemEditForm(item=item, study=item.round.study), status=409)
    messages.success(request, _("Item %(code)s is removed.") % {"code": item.code})
    return _round_manage(item.round)


@require_POST
@login_required
def item_move(request, slug: str, number: int, pk: int):
    """One place up or down (POST direction=up|down), back to the round's items."""
    item = get_item_for_facilitator(request, slug, number, pk)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        return HttpResponse(_("Say up or down."), status=400)
    try:
        builder.item_move(item=item, up=direction == "up", by=request.user)
    except ServiceError as error:
        messages.error(request, str(error))
        return redirect("surveys:round_manage", slug=slug, number=number)
    return redirect(reverse("surveys:round_manage", kwargs={"slug": slug, "number": number}) + f"#item-{item.pk}")


@require_http_methods(["GET", "POST"])
@login_required
def options_merge(request, slug: str, number: int):
    """Two or more options asked as one from this draft round on, every affected item keeping its lineage."""
    round = get_round_for_facilitator(request, slug, number)
    form = OptionMergeForm(request.POST if request.method == "POST" else None, study=round.study)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                merged = builder.options_merge(
                    round=round,
                    options=list(data["merge"]),
                    code=data["code"],
                    name=data["name"],
                    short=data["short"],
                    group=data["group"],
                    by=request.user,
                )
            except ServiceError as error:
                form.add_error(error.field, str(error))
                status = 409
            else:
                messages.success(request, _("The options are merged into %(name)s.") % {"name": merged.name})
                return _round_manage(round)
    context = {"study": round.study, "round": round, "form": form}
    return render(request, "surveys/facilitator/options_merge.html", context, status=status)
