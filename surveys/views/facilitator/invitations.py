"""The study's members and invitations: invite one person or a pasted list, resend a link, revoke one, remove a member."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from surveys.access import get_invitation_for_facilitator, get_member_for_facilitator, get_study_for_facilitator
from surveys.forms.facilitator.invitations import InvitationForm, InvitationNoteForm
from surveys.selectors.facilitator import study_invitations, study_members
from surveys.services import ServiceError, invitations, members
from surveys.tasks import invitation_preview
from surveys.views.facilitator.confirm import confirm_page


@require_http_methods(["GET", "POST"])
@login_required
def invitation_list(request, slug: str):
    study = get_study_for_facilitator(request, slug)
    status = 200
    if request.method == "POST":
        form = InvitationForm(request.POST)
        if form.is_valid():
            emails = form.cleaned_data["emails"]
            try:
                invitations.invitations_create(
                    study=study,
                    emails=emails,
                    names=form.cleaned_data["names"],
                    role=form.cleaned_data["role"],
                    by=request.user,
                )
            except ServiceError as error:
                form.add_error(error.field, str(error))
            else:
                messages.success(
                    request,
                    ngettext(
                        "The invitation to %(email)s is on its way; the list below shows when it has gone.",
                        "%(count)d invitations are on their way; the list below shows when each has gone.",
                        len(emails),
                    )
                    % {"email": emails[0], "count": len(emails)},
                )
                return redirect("surveys:study_invitations", slug=slug)
        status = 400
    else:
        form = InvitationForm()
    return _page(request, study, form=form, status=status)


def _page(request, study, *, form=None, note_form=None, preview=None, status: int = 200):
    context = {
        "study": study,
        "form": form or InvitationForm(),
        "note_form": note_form or InvitationNoteForm(initial={"note": study.invitation_note}),
        "preview": preview,
        "members": study_members(study=study),
        "invitations": study_invitations(study=study),
    }
    return render(request, "surveys/facilitator/invitations.html", context, status=status)


@require_POST
@login_required
def invitation_note(request, slug: str):
    """The facilitators' words in the invitation: previewed in the whole mail, or saved for the next invitations."""
    study = get_study_for_facilitator(request, slug)
    form = InvitationNoteForm(request.POST)
    if not form.is_valid():
        return _page(request, study, note_form=form, status=400)
    note = form.cleaned_data["note"]
    if "preview" in request.POST:
        return _page(request, study, note_form=form, preview=invitation_preview(study=study, note=note))
    invitations.invitation_note_update(study=study, note=note, by=request.user)
    messages.success(request, _("The invitation's text is saved; the next invitations carry it."))
    return redirect("surveys:study_invitations", slug=slug)


@require_POST
@login_required
def invitation_resend(request, slug: str, pk: int):
    """A fresh link for the same person and role; the old one stops working."""
    invitation = get_invitation_for_facilitator(request, slug, pk)
    try:
        invitations.invitations_create(
            study=invitation.study,
            emails=[invitation.email],
            role=invitation.role,
            by=request.user,
        )
    except ServiceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("A new link went to %(email)s.") % {"email": invitation.email})
    return redirect("surveys:study_invitations", slug=slug)


@require_http_methods(["GET", "POST"])
@login_required
def invitation_revoke(request, slug: str, pk: int):
    """What revoking the link means (GET), then the revocation (POST)."""
    invitation = get_invitation_for_facilitator(request, slug, pk)
    if request.method == "GET":
        return confirm_page(
            request, "invitation_revoke", study=invitation.study, invitation=invitation,
            heading=_("Revoke the invitation of %(email)s?") % {"email": invitation.email},
            button=_("Revoke the link"), cancel_url=reverse("surveys:study_invitations", kwargs={"slug": slug}),
        )
    try:
        invitations.invitation_revoke(invitation=invitation, by=request.user)
    except ServiceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The invitation for %(email)s no longer works.") % {"email": invitation.email})
    return redirect("surveys:study_invitations", slug=slug)


@require_http_methods(["GET", "POST"])
@login_required
def member_remove(request, slug: str, pk: int):
    """What removing this member keeps and what it deletes, then, on POST, the removal."""
    member = get_member_for_facilitator(request, slug, pk)
    if request.method == "POST":
        try:
            members.membership_remove(membership=member, by=request.user)
        except ServiceError as error:
            messages.error(request, str(error))
            return render(request, "surveys/facilitator/member_remove.html", {"study": member.study, "member": member},
                          status=409)
        messages.success(request, _("%(name)s is no longer a member of this study.") % {"name": member.user.get_username()})
        return redirect("surveys:study_invitations", slug=slug)
    return render(request, "surveys/facilitator/member_remove.html", {"study": member.study, "member": member})
