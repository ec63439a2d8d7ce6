"""The study's content page: its vignettes, variations against their base, and treatment options; add, edit, remove."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from surveys.access import get_study_for_facilitator
from vignettes import services
from surveys.services import ServiceError
from surveys.views.facilitator.confirm import confirm_page
from vignettes.forms import OptionEditForm, OptionForm, VignetteEditForm, VignetteForm
from vignettes.models import Option, Vignette
from vignettes.selectors import study_options, study_vignettes


@require_http_methods(["GET", "POST"])
@login_required
def study_content(request, slug: str):
    study = get_study_for_facilitator(request, slug)
    kind = request.POST.get("kind")
    vignette_form = VignetteForm(request.POST if kind == "vignette" else None, study=study, prefix="vignette")
    option_form = OptionForm(request.POST if kind == "option" else None, study=study, prefix="option")
    status = 200
    if request.method == "POST":
        form = {"vignette": vignette_form, "option": option_form}.get(kind)
        if form is None:
            return HttpResponse(_("Say what to add."), status=400)
        if form.is_valid():
            add = services.vignette_add if form is vignette_form else services.option_add
            added = add(study=study, **form.cleaned_data, by=request.user)
            messages.success(request, _("%(code)s is added.") % {"code": added.code})
            return redirect("vignettes:study_content", slug=slug)
        status = 400
    context = {
        "study": study,
        "vignettes": study_vignettes(study=study),
        "options": study_options(study=study),
        "vignette_form": vignette_form,
        "option_form": option_form,
    }
    return render(request, "vignettes/facilitator/content.html", context, status=status)


def _content_url(study) -> str:
    return reverse("vignettes:study_content", kwargs={"slug": study.slug})


def _edit(request, slug: str, pk: int, *, model, form_class, update, noun: str):
    study = get_study_for_facilitator(request, slug)
    obj = get_object_or_404(model, study=study, pk=pk)
    form = form_class(request.POST if request.method == "POST" else None, instance=model.objects.get(pk=obj.pk))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            update(**{noun: obj}, **form.cleaned_data, by=request.user)
            messages.success(request, _("%(code)s is saved.") % {"code": obj.code})
            return redirect("vignettes:study_content", slug=slug)
        status = 400
    context = {"study": study, "object": obj, "form": form, "noun": noun,
               "remove_url": reverse(f"vignettes:{noun}_remove", kwargs={"slug": slug, "pk": pk})}
    return render(request, "vignettes/facilitator/edit.html", context, status=status)


def _remove(request, slug: str, pk: int, *, model, remove, noun: str, heading: str):
    study = get_study_for_facilitator(request, slug)
    obj = get_object_or_404(model, study=study, pk=pk)
    error = ""
    if request.method == "POST":
        try:
            remove(**{noun: obj}, by=request.user)
        except ServiceError as refusal:
            error = str(refusal)
        else:
            messages.success(request, _("%(code)s is removed.") % {"code": obj.code})
            return redirect("vignettes:study_content", slug=slug)
    return confirm_page(
        request, "content_remove", study=study, heading=heading % {"code": obj.code}, button=_("Remove"),
        cancel_url=_content_url(study), object=obj, error=error, status=409 if error else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def vignette_edit(request, slug: str, pk: int):
    return _edit(request, slug, pk, model=Vignette, form_class=VignetteEditForm, update=services.vignette_update,
                 noun="vignette")


@require_http_methods(["GET", "POST"])
@login_required
def vignette_remove(request, slug: str, pk: int):
    return _remove(request, slug, pk, model=Vignette, remove=services.vignette_remove, noun="vignette",
                   heading=_("Remove vignette %(code)s?"))


@require_http_methods(["GET", "POST"])
@login_required
def option_edit(request, slug: str, pk: int):
    return _edit(request, slug, pk, model=Option, form_class=OptionEditForm, update=services.option_update,
                 noun="option")


@require_http_methods(["GET", "POST"])
@login_required
def option_remove(request, slug: str, pk: int):
    return _remove(request, slug, pk, model=Option, remove=services.option_remove, noun="option",
                   heading=_("Remove option %(code)s?"))
