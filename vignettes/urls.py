from django.urls import path

from vignettes import views

app_name = "vignettes"

urlpatterns = [
    path("studies/<slug:slug>/content/", views.study_content, name="study_content"),
    path("studies/<slug:slug>/content/vignettes/<int:pk>/", views.vignette_edit, name="vignette_edit"),
    path("studies/<slug:slug>/content/vignettes/<int:pk>/remove/", views.vignette_remove, name="vignette_remove"),
    path("studies/<slug:slug>/content/options/<int:pk>/", views.option_edit, name="option_edit"),
    path("studies/<slug:slug>/content/options/<int:pk>/remove/", views.option_remove, name="option_remove"),
]
