from django.urls import path

from surveys import views

app_name = "surveys"

urlpatterns = [
    path("", views.home, name="home"),
    path("studies/<slug:slug>/rounds/<int:number>/", views.vote, name="vote"),
    path("studies/<slug:slug>/rounds/<int:number>/results/", views.results, name="results"),
    path("studies/<slug:slug>/invitations/", views.study_invitations, name="study_invitations"),
    path("studies/<slug:slug>/invitations/<int:pk>/revoke/", views.study_invitation_revoke, name="invitation_revoke"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
]
