"""The account page Django's own does not cover as the site needs: asking for a password-reset link."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.shortcuts import render

from config.signin import client_ip
from surveys.services.accounts import password_reset_request


class PasswordResetView(auth_views.PasswordResetView):
    """Django's page, rate-limited, its mail queued rather than sent inside the request.

    Django's form sends the mail itself, with a link built from the
    request's Host; the service queues a task that builds it from SITE_URL.
    """

    def form_valid(self, form):
        if not password_reset_request(email=form.cleaned_data["email"], address=client_ip(self.request)):
            minutes = int(settings.PASSWORD_RESET_WINDOW.total_seconds() // 60)
            return render(self.request, "registration/password_reset_paused.html", {"minutes": minutes}, status=429)
        return HttpResponseRedirect(self.get_success_url())
