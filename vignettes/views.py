"""The study's content page: its vignettes, variations against their base, and treatment options; add to them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from surveys.access import get_study_for_facilitator
from vignettes import services
from vignettes.forms import OptionForm, VignetteForm
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
