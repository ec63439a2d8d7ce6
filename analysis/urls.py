from django.urls import path

from analysis import views

app_name = "analysis"

urlpatterns = [
    path("<slug:slug>/results/", views.results, name="results"),
    path("<slug:slug>/results/download/", views.download, name="download"),
    path("<slug:slug>/import/", views.import_export, name="import"),
    path("<slug:slug>/figures/<int:number>/<str:name>.<str:fmt>", views.figure, name="figure"),
]
