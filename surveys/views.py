import dataclasses
import logging
from itertools import groupby

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.db import DatabaseError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from consensus import Scale, describe
from surveys.forms import (
    DeadlineForm,
    InvitationForm,
    MatrixForm,
    OptionForm,
    VignetteForm,
    NextRoundForm,
    ReminderForm,
    RoundAnswersForm,
    StatementForm,
    StudyFileForm,
    StudySettingsForm,
)
from surveys.models import Answer, Invitation, Membership, Round, RoundCompletion, Study, Submission
from surveys.selectors import (
    answered_counts,
    answers_of,
    comments_for,
    facilitated_round,
    items_without_consensus,
    memberships_for_user,
    panelist_membership,
    panelist_round,
    round_completion,
    round_feedback,
    round_items,
    round_items_with_lineage,
    statement_drafts,
    study_file_data,
    study_history,
)
from surveys.services import (
    InvitationUnusable,
    Merge,
    ServiceError,
    answers_save,
    answers_submit,
    invitation_accept,
    invitation_check,
    invitations_create,
    invitation_revoke,
    content_add,
    matrix_add,
    reminders_send,
    round_add,
    round_create_next,
    round_close,
    round_extend,
    round_open,
    round_results_release,
    statement_add,
    study_import,
    study_settings_update,
)
from surveys.studyfile import StudyFileError, parse_study_text, render_study_file

logger = logging.getLogger(__name__)


@require_GET
@login_required
def home(request):
    memberships = memberships_for_user(user=request.user)
    # Progress needs the answers, so it is fetched only for rounds a panelist can vote in.
    votable = [
        round
        for m in memberships
        if m.role == Membership.Role.PANELIST
        for round in m.study.rounds.all()
        if round.status == Round.Status.OPEN
    ]
    answered = answered_counts(user=request.user, rounds=votable)
    for round in votable:
        round.answered = answered.get(round.pk, 0)
    return render(request, "surveys/home.html", {"memberships": memberships})


# -- voting ----------------------------------------------------------------------


def _get_round_for_panelist(request, slug: str, number: int) -> tuple[Membership, Round]:
    """The round and the user's panel membership, or 404 for anyone not on the panel."""
    membership = panelist_membership(user=request.user, slug=slug)
    round = panelist_round(membership=membership, number=number) if membership else None
    if round is None or round.status == Round.Status.DRAFT:
        raise Http404
    round.study = membership.study
    return membership, round


@require_http_methods(["GET", "POST"])
@login_required
def vote(request, slug: str, number: int):
    membership, round = _get_round_for_panelist(request, slug, number)
    if not round.accepts_answers():
        if request.method == "POST":
            messages.error(request, _("This round has closed; your answers were not saved."))
        status = 403 if request.method == "POST" else 200
        return render(request, "surveys/round_closed.html", {"round": round}, status=status)

    items = round_items(round=round)
    submitted = round.completion_status == RoundCompletion.Status.SUBMITTED
    status = 200
    if request.method == "POST":
        # Once submitted, every save is a submission: a draft must not leave required items empty.
        submitting = submitted or request.POST.get("action") == "submit"
        form = RoundAnswersForm(
            request.POST, items=items, answers={}, neutral=round.study.scale_neutral, submitting=submitting
        )
        if not form.is_valid():
            status = 400
        else:
            write = answers_submit if submitting else answers_save
            try:
                write(round=round, membership=membership, answers=form.answers())
            except ServiceError as error:
                messages.error(request, str(error))
                return render(request, "surveys/round_closed.html", {"round": round}, status=403)
            except DatabaseError:
                # The service's transaction has rolled back, so nothing of this
                # POST is stored. The page shows the panelist's input again, so
                # pressing the button once more is all it takes.
                logger.exception("A vote could not be written; its transaction was rolled back")
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
            items=items, answers=answers_of(user=request.user, round=round), neutral=round.study.scale_neutral
        )

    if status == 503:
        # The database may be what failed: the page is built from what is
        # already in hand, the panelist's input, without the panel's feedback.
        feedback, comments = {}, {}
    else:
        feedback = round_feedback(
            round=round, items=items, user=request.user, panel=round.previous_panel, lineage=True
        )
        comments = comments_for(round=round, previous=True)
    entries = form.entries()
    context = {
        "round": round,
        "study": round.study,
        "form": form,
        "groups": _by_vignette(entries, feedback, comments),
        "submitted": submitted,
        "answered": sum(1 for entry in entries if entry.value not in (None, "", [], {})),
    }
    return render(request, "surveys/vote.html", context, status=status)


def _by_vignette(entries, feedback, comments):
    groups = []
    for vignette, group in groupby(entries, key=lambda entry: entry.item.vignette):
        group = list(group)
        for entry in group:
            entry.feedback = feedback.get(entry.item.pk)
        groups.append(
            {"vignette": vignette, "entries": group, "comments": comments.get(vignette.pk if vignette else None, [])}
        )
    return groups


@require_GET
@login_required
def results(request, slug: str, number: int):
    """The group results of a closed round, once the facilitator has released them."""
    membership, round = _get_round_for_panelist(request, slug, number)
    if round.status != Round.Status.CLOSED or round.results_released_at is None:
        raise Http404
    items = round_items(round=round)
    panel = Submission.objects.filter(round=round).count()
    feedback = round_feedback(round=round, items=items, user=request.user, panel=panel, lineage=False)
    comments = comments_for(round=round, previous=False)
    groups = []
    for vignette, group in groupby(items, key=lambda item: item.vignette):
        rows = [(item, feedback[item.pk]) for item in group if item.pk in feedback]
        vignette_comments = comments.get(vignette.pk if vignette else None, [])
        groups.append({"vignette": vignette, "rows": rows, "comments": vignette_comments})
    context = {"round": round, "study": round.study, "groups": groups, "panel": panel}
    return render(request, "surveys/results.html", context)


# -- invitations -----------------------------------------------------------------


def _get_study_for_facilitator(request, slug: str):
    membership = get_object_or_404(
        Membership.objects.select_related("study"),
        user=request.user,
        study__slug=slug,
        role=Membership.Role.FACILITATOR,
    )
    return membership.study


@require_http_methods(["GET", "POST"])
@login_required
def study_invitations(request, slug: str):
    study = _get_study_for_facilitator(request, slug)
    status = 200
    if request.method == "POST":
        form = InvitationForm(request.POST)
        if form.is_valid():
            emails = form.cleaned_data["emails"]
            try:
                invitations_create(
                    study=study,
                    emails=emails,
                    role=form.cleaned_data["role"],
                    by=request.user,
                    accept_url=_accept_url(request),
                )
            except ServiceError as error:
                form.add_error("emails", str(error))
            else:
                messages.success(
                    request,
                    ngettext("Invitation sent to %(email)s.", "%(count)d invitations sent.", len(emails))
                    % {"email": emails[0], "count": len(emails)},
                )
                return redirect("surveys:study_invitations", slug=slug)
        status = 400
    else:
        form = InvitationForm()
    invitations = Invitation.objects.filter(study=study).order_by("-created")
    return render(
        request, "surveys/invitations.html", {"study": study, "form": form, "invitations": invitations}, status=status
    )


def _accept_url(request):
    return lambda token: request.build_absolute_uri(reverse("surveys:invitation", kwargs={"token": token}))


@require_POST
@login_required
def study_invitation_resend(request, slug: str, pk: int):
    """A fresh link for the same person and role; the old one stops working."""
    study = _get_study_for_facilitator(request, slug)
    invitation = get_object_or_404(Invitation, study=study, pk=pk)
    try:
        invitations_create(
            study=study, emails=[invitation.email], role=invitation.role, by=request.user, accept_url=_accept_url(request)
        )
    except ServiceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("A new link went to %(email)s.") % {"email": invitation.email})
    return redirect("surveys:study_invitations", slug=slug)


@require_POST
@login_required
def study_invitation_revoke(request, slug: str, pk: int):
    study = _get_study_for_facilitator(request, slug)
    invitation = get_object_or_404(Invitation, study=study, pk=pk)
    try:
        invitation_revoke(invitation=invitation, by=request.user)
    except ServiceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The invitation for %(email)s no longer works.") % {"email": invitation.email})
    return redirect("surveys:study_invitations", slug=slug)


@require_http_methods(["GET", "POST"])
def invitation(request, token: str):
    """The link from the email: choose a password, or sign in straight away with an existing account."""
    try:
        invite = invitation_check(token=token)
    except InvitationUnusable as error:
        return render(
            request,
            "surveys/invitation_unusable.html",
            {"reason": error.reason},
            status=404 if error.reason == "unknown" else 410,
        )
    user = invite.membership.user
    needs_password = not user.has_usable_password()
    form = SetPasswordForm(user, request.POST or None) if needs_password else None
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            user = invitation_accept(token=token, password=form.cleaned_data["new_password1"] if form else None)
        except InvitationUnusable as error:
            return render(request, "surveys/invitation_unusable.html", {"reason": error.reason}, status=410)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to %(study)s.") % {"study": invite.study.title})
        return redirect("surveys:home")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "surveys/invitation.html",
        {"invitation": invite, "form": form, "invitee": user},
        status=status,
    )


# -- facilitators: running a round ------------------------------------------------


def _get_round_for_facilitator(request, slug: str, number: int) -> Round:
    round = facilitated_round(user=request.user, slug=slug, number=number)
    if round is None:
        raise Http404
    return round


def _reminder_form(round: Round, data=None) -> ReminderForm:
    initial = {
        "subject": _("Reminder: round %(number)s of %(study)s") % {"number": round.number, "study": round.study.title},
        "message": _(
            "Dear panelist,\n\nRound %(number)s is still waiting for your answers. "
            "It takes a few minutes, and you can save a draft and come back."
        )
        % {"number": round.number},
    }
    return ReminderForm(data, initial=initial)


def _round_page(request, round: Round, *, status: int = 200, **forms):
    """The round's dashboard; forms passed in carry their errors back to the page."""
    context = {
        "study": round.study,
        "round": round,
        "completion": round_completion(round=round),
        "open_form": forms.get("open_form") or DeadlineForm(),
        "extend_form": forms.get("extend_form") or DeadlineForm(required=True),
        "reminder_form": forms.get("reminder_form") or _reminder_form(round),
        "statement_form": forms.get("statement_form") or StatementForm(study=round.study),
        "matrix_form": forms.get("matrix_form") or MatrixForm(study=round.study),
        "items": round_items_with_lineage(round=round) if round.status == Round.Status.DRAFT else [],
    }
    return render(request, "surveys/round_manage.html", context, status=status)


@require_GET
@login_required
def round_manage(request, slug: str, number: int):
    return _round_page(request, _get_round_for_facilitator(request, slug, number))


def _round_step(request, round: Round, service, *, success: str, **kwargs):
    """Runs one service for a POST; a refusal (the round's state forbids the step) is shown with a 409."""
    try:
        service(round=round, by=request.user, **kwargs)
    except ServiceError as error:
        messages.error(request, str(error))
        return _round_page(request, round, status=409)
    messages.success(request, success)
    return redirect("surveys:round_manage", slug=round.study.slug, number=round.number)


@require_POST
@login_required
def round_open_view(request, slug: str, number: int):
    round = _get_round_for_facilitator(request, slug, number)
    form = DeadlineForm(request.POST)
    if not form.is_valid():
        return _round_page(request, round, status=400, open_form=form)
    return _round_step(
        request, round, round_open, deadline=form.cleaned_data["deadline"], success=_("The round is open.")
    )


@require_POST
@login_required
def round_extend_view(request, slug: str, number: int):
    round = _get_round_for_facilitator(request, slug, number)
    form = DeadlineForm(request.POST, required=True)
    if not form.is_valid():
        return _round_page(request, round, status=400, extend_form=form)
    return _round_step(
        request, round, round_extend, deadline=form.cleaned_data["deadline"], success=_("The deadline is extended.")
    )


@require_POST
@login_required
def round_close_view(request, slug: str, number: int):
    round = _get_round_for_facilitator(request, slug, number)
    return _round_step(request, round, round_close, success=_("The round is closed; no more votes are taken."))


@require_POST
@login_required
def round_release_view(request, slug: str, number: int):
    round = _get_round_for_facilitator(request, slug, number)
    return _round_step(request, round, round_results_release, success=_("The panel can now see the results."))


@require_POST
@login_required
def round_remind_view(request, slug: str, number: int):
    round = _get_round_for_facilitator(request, slug, number)
    form = _reminder_form(round, request.POST)
    if not form.is_valid():
        return _round_page(request, round, status=400, reminder_form=form)
    link = request.build_absolute_uri(reverse("surveys:vote", kwargs={"slug": slug, "number": number}))
    return _round_step(
        request,
        round,
        reminders_send,
        subject=form.cleaned_data["subject"],
        message=form.cleaned_data["message"],
        link=link,
        success=_("Reminders are on their way to everyone who has not submitted."),
    )


@require_GET
@login_required
def history(request, slug: str):
    study = _get_study_for_facilitator(request, slug)
    return render(request, "surveys/history.html", {"study": study, "events": study_history(study=study)})


@require_POST
@login_required
def statement_add_view(request, slug: str, number: int):
    round = _get_round_for_facilitator(request, slug, number)
    form = StatementForm(request.POST, study=round.study)
    if not form.is_valid():
        return _round_page(request, round, status=400, statement_form=form)
    return _round_step(
        request,
        round,
        statement_add,
        vignette=form.cleaned_data["vignette"],
        code=form.cleaned_data["code"],
        text=form.cleaned_data["text"],
        options=list(form.cleaned_data["options"]),
        success=_("The statement is added."),
    )


@require_http_methods(["GET", "POST"])
@login_required
def round_next(request, slug: str, number: int):
    """Drafts round N+1 from this round: carry, reword, merge, drop."""
    round = _get_round_for_facilitator(request, slug, number)
    items = round_items_with_lineage(round=round)
    threshold = _draft_threshold(request)
    drafts = statement_drafts(round=round, threshold=threshold) if round.status == Round.Status.CLOSED else []
    form = NextRoundForm(request.POST if request.method == "POST" else None, round=round, items=items, drafts=drafts)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            if data["mode"] == NextRoundForm.ALL:
                carry = {item.pk for item in items}
            elif data["mode"] == NextRoundForm.NO_CONSENSUS:
                carry = items_without_consensus(round=round, items=items)
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
                form.add_error(None, str(error))
                status = 409
            else:
                messages.success(request, _("Round %(number)s is drafted.") % {"number": following.number})
                return redirect("surveys:round_manage", slug=slug, number=following.number)
        else:
            status = 400
    context = {"study": round.study, "round": round, "form": form, "threshold": threshold}
    return render(request, "surveys/round_next.html", context, status=status)


DEFAULT_DRAFT_THRESHOLD = 50


def _draft_threshold(request) -> float:
    """The share of the panel (GET ?threshold=) whose top choices make a drafted statement; bad values fall back."""
    try:
        value = float(request.GET.get("threshold", DEFAULT_DRAFT_THRESHOLD))
    except ValueError:
        return DEFAULT_DRAFT_THRESHOLD
    return value if 0 < value <= 100 else DEFAULT_DRAFT_THRESHOLD


TEMPLATE_STUDY = settings.BASE_DIR / "examples" / "mayo-trd.yaml"


@require_http_methods(["GET", "POST"])
@login_required
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
                for line in error.errors:
                    # A taken slug is fixed in the slug field; the rest is the file's.
                    field = "slug" if ": slug: " in line else "file" if upload is not None else None
                    form.add_error(field, line)
            else:
                messages.success(request, _("Study %(title)s is ready; round 1 is a draft.") % {"title": study.title})
                return redirect("surveys:round_manage", slug=study.slug, number=1)
    return render(request, "surveys/study_new.html", {"form": form}, status=status)


@require_GET
@login_required
def study_file(request, slug: str):
    """The study as a study file, to keep, share or load elsewhere."""
    study = _get_study_for_facilitator(request, slug)
    text = render_study_file(study_file_data(study=study))
    response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{study.slug}.yaml"'
    return response


@require_POST
@login_required
def matrix_add_view(request, slug: str, number: int):
    round = _get_round_for_facilitator(request, slug, number)
    form = MatrixForm(request.POST, study=round.study)
    if not form.is_valid():
        return _round_page(request, round, status=400, matrix_form=form)
    return _round_step(
        request,
        round,
        matrix_add,
        vignettes=list(form.cleaned_data["vignettes"]),
        options=list(form.cleaned_data["options"]),
        item_type=form.cleaned_data["item_type"],
        max_choices=form.cleaned_data["max_choices"],
        success=_("The items are added."),
    )


@require_http_methods(["GET", "POST"])
@login_required
def study_settings(request, slug: str):
    """Scale, consensus rule and threshold, with the rule in plain words before it is saved."""
    study = _get_study_for_facilitator(request, slug)
    locked = Answer.objects.filter(item__round__study=study, rating__isnull=False).exists()
    if request.method == "GET":
        form = StudySettingsForm(instance=study, scale_locked=locked)
        form.preview = _describe_study(study)
        return render(request, "surveys/study_settings.html", {"study": study, "form": form})
    form = StudySettingsForm(request.POST, instance=Study.objects.get(pk=study.pk), scale_locked=locked)
    if not form.is_valid():
        return render(request, "surveys/study_settings.html", {"study": study, "form": form}, status=400)
    if "preview" in request.POST:
        return render(request, "surveys/study_settings.html", {"study": study, "form": form})
    try:
        study_settings_update(study=study, values=form.cleaned_data, by=request.user)
    except ServiceError as error:
        form.add_error(None, str(error))
        return render(request, "surveys/study_settings.html", {"study": study, "form": form}, status=409)
    messages.success(request, _("The study's settings are saved."))
    return redirect("surveys:study_settings", slug=slug)


def _describe_study(study) -> str:
    scale = Scale(min=study.scale_min, max=study.scale_max, neutral=study.scale_neutral)
    return describe(study.consensus_rule, study.consensus_params, scale)


@require_POST
@login_required
def round_new(request, slug: str):
    study = _get_study_for_facilitator(request, slug)
    kind = request.POST.get("kind", Round.Kind.CONSENSUS)
    if kind not in Round.Kind.values:
        return HttpResponse(_("Unknown kind of round."), status=400)
    try:
        round = round_add(study=study, kind=kind, by=request.user)
    except ServiceError as error:
        messages.error(request, str(error))
        return redirect("surveys:home")
    messages.success(request, _("Round %(number)s is drafted; add its items.") % {"number": round.number})
    return redirect("surveys:round_manage", slug=slug, number=round.number)


@require_http_methods(["GET", "POST"])
@login_required
def study_content(request, slug: str):
    """The study's vignettes, variations against their base, and treatment options; add to them."""
    study = _get_study_for_facilitator(request, slug)
    kind = request.POST.get("kind")
    vignette_form = VignetteForm(request.POST if kind == "vignette" else None, study=study, prefix="vignette")
    option_form = OptionForm(request.POST if kind == "option" else None, study=study, prefix="option")
    status = 200
    if request.method == "POST":
        form = {"vignette": vignette_form, "option": option_form}.get(kind)
        if form is None:
            return HttpResponse(_("Say what to add."), status=400)
        if form.is_valid():
            added = content_add(form=form, by=request.user)
            messages.success(request, _("%(code)s is added.") % {"code": added.code})
            return redirect("surveys:study_content", slug=slug)
        status = 400
    context = {
        "study": study,
        "vignettes": study.vignettes.select_related("base").order_by("position", "pk"),
        "options": study.options.order_by("group", "position", "pk"),
        "vignette_form": vignette_form,
        "option_form": option_form,
    }
    return render(request, "surveys/study_content.html", context, status=status)
