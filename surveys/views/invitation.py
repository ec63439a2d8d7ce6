"""The invitee's page: the link from the email, to choose a password, or to sign in with the one they have."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from surveys.services import ServiceError
from surveys.services.invitations import InvitationUnusable, invitation_accept, invitation_check


def _unusable(request, reason: str):
    status = 404 if reason == "unknown" else 410
    return render(request, "surveys/invitation/unusable.html", {"reason": reason}, status=status)


def _form(request, user):
    """What the page asks: a new password, the account's password, or nothing (already signed in as them)."""
    data = request.POST if request.method == "POST" else None
    if not user.has_usable_password():
        return SetPasswordForm(user, data)
    if request.user.is_authenticated and request.user.pk == user.pk:
        return None
    # The link names the account; the invitee proves it is theirs. Signing in
    # through the form goes through django-axes, which counts wrong passwords.
    form = AuthenticationForm(request, data=data, initial={"username": user.get_username()})
    form.fields["username"].disabled = True
    return form


@require_http_methods(["GET", "POST"])
def accept(request, token: str):
    try:
        invite = invitation_check(token=token)
    except InvitationUnusable as error:
        return _unusable(request, error.reason)
    user = invite.membership.user
    form = _form(request, user)
    if request.method == "POST" and (form is None or form.is_valid()):
        signed_in = request.user if form is None else getattr(form, "get_user", lambda: None)()
        password = form.cleaned_data.get("new_password1") if isinstance(form, SetPasswordForm) else None
        try:
            user = invitation_accept(token=token, password=password, signed_in=signed_in)
        except InvitationUnusable as error:
            return _unusable(request, error.reason)
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to %(study)s.") % {"study": invite.study.title})
            return redirect("surveys:home")
    status = 400 if request.method == "POST" else 200
    context = {"invitation": invite, "form": form, "invitee": user, "new_account": not user.has_usable_password()}
    return render(request, "surveys/invitation/accept.html", context, status=status)
