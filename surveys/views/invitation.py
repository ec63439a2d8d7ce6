"""The invitee's page: the link from the email, to choose a password or sign in straight away."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import SetPasswordForm
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from surveys.services.invitations import InvitationUnusable, invitation_accept, invitation_check


@require_http_methods(["GET", "POST"])
def accept(request, token: str):
    """The link from the email: choose a password, or sign in straight away with an existing account."""
    try:
        invite = invitation_check(token=token)
    except InvitationUnusable as error:
        return render(
            request,
            "surveys/invitation/unusable.html",
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
            return render(request, "surveys/invitation/unusable.html", {"reason": error.reason}, status=410)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to %(study)s.") % {"study": invite.study.title})
        return redirect("surveys:home")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "surveys/invitation/accept.html",
        {"invitation": invite, "form": form, "invitee": user},
        status=status,
    )

