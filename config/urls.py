from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from config.signin import PasswordChangeView, SignInForm
from surveys.views.accounts import PasswordResetView

urlpatterns = [
    path("", include("surveys.urls")),
    path("", include("vignettes.urls")),
    path("analysis/", include("analysis.urls")),
    # Before django.contrib.auth's own pages of those names, which they replace.
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=SignInForm), name="login"),
    path("accounts/password_change/", PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_reset/", PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    # The admin's own password change checks the old password past django-axes too.
    path(
        "admin/password_change/",
        admin.site.admin_view(PasswordChangeView.as_view(success_url=reverse_lazy("admin:password_change_done"))),
        name="admin_password_change",
    ),
    path("admin/", admin.site.urls),
]
