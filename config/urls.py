from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config.signin import SignInForm

urlpatterns = [
    path("", include("surveys.urls")),
    path("", include("vignettes.urls")),
    path("analysis/", include("analysis.urls")),
    # Before django.contrib.auth's own "login", which it replaces.
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=SignInForm), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
