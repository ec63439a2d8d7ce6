from django.urls import path

from vignettes import views

app_name = "vignettes"

urlpatterns = [
    path("studies/<slug:slug>/content/", views.study_content, name="study_content"),
]
