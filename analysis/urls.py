from django.urls import path  # noqa: F401  (routes are added with the results pages)

app_name = "analysis"

urlpatterns: list = []
