"""Facilitator pages: a study from scratch, a draft round's items edited or removed, options merged.

Thin views, as in surveys.views: check the input, call one service, render
or redirect. Every study object comes through a helper that answers 404 to
anyone who does not facilitate the study.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from consensus import Scale, describe
from surveys.forms_facilitator import ItemEditForm, OptionMergeForm, StudyCreateForm
from surveys.models import Item, Round, Study
from surveys.selectors import round_item
from surveys.services import ServiceError, item_remove, item_update, options_merge, study_create
from surveys.views import _get_round_for_facilitator


def _get_item_for_facilitator(request, slug: str, number: int, pk: int) -> Item:
    round = _get_round_for_facilitator(request, slug, number)
    item = round_item(round=round, pk=pk)
    if item is None:
        raise Http404
    item.round = round
    return item


def _round_manage(round: Round):
    return redirect("surveys:round_manage", slug=round.study.slug, number=round.number)


@require_http_methods(["GET", "POST"])
@login_required
def study_create_view(request):
    """An empty study: slug, scale, rule and threshold, with the rule previewed in plain words."""
    form = StudyCreateForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "GET":
        defaults = Study()
        form.preview = describe(
            defaults.consensus_rule,
            defaults.consensus_params,
            Scale(min=defaults.scale_min, max=defaults.scale_max, neutral=defaults.scale_neutral),
        )
    elif not form.is_valid():
        status = 400
    elif "preview" not in request.POST:
        study = study_create(values=form.cleaned_data, by=request.user)
        messages.success(
            request, _("Study %(title)s is created; add its vignettes and options.") % {"title": study.title}
        )
        return redirect("surveys:study_content", slug=study.slug)
    return render(request, "surveys/facilitator/study_create.html", {"form": form}, status=status)


def _item_page(request, item: Item, form: ItemEditForm, *, status: int = 200):
    context = {"study": item.round.study, "round": item.round, "item": item, "form": form}
    return render(request, "surveys/facilitator/item_edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def round_item_edit(request, slug: str, number: int, pk: int):
    item = _get_item_for_facilitator(request, slug, number, pk)
    study = item.round.study
    if request.method == "GET":
        return _item_page(request, item, ItemEditForm(item=item, study=study))
    form = ItemEditForm(request.POST, item=item, study=study)
    if not form.is_valid():
        return _item_page(request, item, form, status=400)
    try:
        item_update(
            item=item, text=form.cleaned_data["text"], options=form.cleaned_data.get("options"), by=request.user
        )
    except ServiceError as error:
        form.add_error(None, str(error))
        return _item_page(request, item, form, status=409)
    messages.success(request, _("Item %(code)s is saved.") % {"code": item.code})
    return _round_manage(item.round)


@require_POST
@login_required
def round_item_remove(request, slug: str, number: int, pk: int):
    item = _get_item_for_facilitator(request, slug, number, pk)
    try:
        item_remove(item=item, by=request.user)
    except ServiceError as error:
        messages.error(request, str(error))
        return _item_page(request, item, ItemEditForm(item=item, study=item.round.study), status=409)
    messages.success(request, _("Item %(code)s is removed.") % {"code": item.code})
    return _round_manage(item.round)


@require_http_methods(["GET", "POST"])
@login_required
def round_options_merge(request, slug: str, number: int):
    """Two or more options asked as one from this draft round on, every affected item keeping its lineage."""
    round = _get_round_for_facilitator(request, slug, number)
    form = OptionMergeForm(request.POST if request.method == "POST" else None, study=round.study)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                merged = options_merge(
                    round=round,
                    options=list(data["merge"]),
                    code=data["code"],
                    name=data["name"],
                    short=data["short"],
                    group=data["group"],
                    by=request.user,
                )
            except ServiceError as error:
                form.add_error(None, str(error))
                status = 409
            else:
                messages.success(request, _("The options are merged into %(name)s.") % {"name": merged.name})
                return _round_manage(round)
    context = {"study": round.study, "round": round, "form": form}
    return render(request, "surveys/facilitator/options_merge.html", context, status=status)
