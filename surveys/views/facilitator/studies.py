"""The study itself: a new one (from a study file, the Mayo template or scratch), its settings, file and history.

Study files are a format of the analysis app: this module alone among the
surveys pages reads and writes them, as the import contracts allow.
"""

import dataclasses

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from analysis.files.study import StudyFileError, parse_study_text, render_study_file
from analysis.selectors import study_file_data
from analysis.services.studies import study_import
from surveys.access import get_study_for_facilitator, study_creator_required
from surveys.forms.facilitator.studies import StudyCreateForm, StudyFileForm, StudySettingsForm
from surveys.models import Study
from surveys.selectors.facilitator import study_has_ratings, study_history
from surveys.services import ServiceError, studies

TEMPLATE_STUDY = settings.BASE_DIR / "examples" / "mayo-trd.yaml"
# A page lists this many of a file's problems; `import_study` lists them all.
SHOWN_PROBLEMS = 100


@require_http_methods(["GET", "POST"])
@login_required
@study_creator_required
def study_new(request):
    """A new study from a study file or the Mayo template; the creator becomes its facilitator."""
    form = StudyFileForm(request.POST, request.FILES) if request.method == "POST" else StudyFileForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload is not None:
                    spec = parse_study_text(upload.read(), source=upload.name)
                else:
                    spec = parse_study_text(TEMPLATE_STUDY.read_bytes(), source=TEMPLATE_STUDY.name)
                changes = {k: form.cleaned_data[k] for k in ("slug", "title") if form.cleaned_data[k]}
                study = study_import(spec=dataclasses.replace(spec, **changes), by=request.user)
            except StudyFileError as error:
                field = "file" if upload is not None else None
                for line in error.errors[:SHOWN_PROBLEMS]:
                    form.add_error(field, line)
                if len(error.errors) > SHOWN_PROBLEMS:
                    more = len(error.errors) - SHOWN_PROBLEMS
                    form.add_error(field, _("… and %(count)s more problems.") % {"count": f"{more:,}"})
            except ServiceError as error:
                form.add_error(error.field, str(error))
            else:
                messages.success(request, _("Study %(title)s is ready; round 1 is a draft.") % {"title": study.title})
                return redirect("surveys:round_manage", slug=study.slug, number=1)
    return render(request, "surveys/facilitator/study_new.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
@study_creator_required
def study_create(request):
    """An empty study: slug, scale, rule and threshold, with the rule previewed in plain words."""
    form = StudyCreateForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "GET":
        form.preview = Study().describe_rule()
    elif not form.is_valid():
        status = 400
    elif "preview" not in request.POST:
        try:
            study = studies.study_create(**form.cleaned_data, by=request.user)
        except ServiceError as error:
            form.add_error(error.field, str(error))
            status = 409
        else:
            messages.success(
                request, _("Study %(title)s is created; add its vignettes and options.") % {"title": study.title}
            )
            return redirect("vignettes:study_content", slug=study.slug)
    return render(request, "surveys/facilitator/study_create.html", {"form": form}, status=status)


@require_GET
@login_required
def study_file(request, slug: str):
    """The study as a study file, to keep, share or load elsewhere."""
    study = get_study_for_facilitator(request, slug)
    text = render_study_file(study_file_data(study=study))
    response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{study.slug}.yaml"'
    return response


def _settings_page(request, study: Study, form: StudySettingsForm, *, status: int = 200):
    context = {"study": study, "form": form, "deviations": study.deviations.all()}
    return render(request, "surveys/facilitator/study_settings.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def study_settings(request, slug: str):
    """Scale, consensus rule and threshold, with the rule in plain words before it is saved."""
    study = get_study_for_facilitator(request, slug)
    locked = study_has_ratings(study=study)
    if request.method == "GET":
        form = StudySettingsForm(instance=study, scale_locked=locked)
        form.preview = study.describe_rule()
        return _settings_page(request, study, form)
    # A copy for the form, which writes the posted values onto its instance while it checks them.
    form = StudySettingsForm(request.POST, instance=Study.objects.get(pk=study.pk), scale_locked=locked)
    if not form.is_valid():
        return _settings_page(request, study, form, status=400)
    if "preview" in request.POST:
        return _settings_page(request, study, form)
    try:
        studies.study_settings_update(study=study, **form.cleaned_data, by=request.user)
    except ServiceError as error:
        form.add_error(error.field, str(error))
        return _settings_page(request, study, form, status=409)
    messages.success(request, _("The study's settings are saved."))
    return redirect("surveys:study_settings", slug=slug)


@require_GET
@login_required
def history(request, slug: str):
    study = get_study_for_facilitator(request, slug)
    return render(request, "surveys/facilitator/history.html", {"study": study, "events": study_history(study=study)})
