from django.urls import path

from surveys import views, views_facilitator

app_name = "surveys"

urlpatterns = [
    path("", views.home, name="home"),
    path("studies/<slug:slug>/rounds/<int:number>/", views.vote, name="vote"),
    path("studies/<slug:slug>/rounds/<int:number>/results/", views.results, name="results"),
    path("studies/<slug:slug>/invitations/", views.study_invitations, name="study_invitations"),
    path("studies/<slug:slug>/invitations/<int:pk>/revoke/", views.study_invitation_revoke, name="invitation_revoke"),
    path("studies/<slug:slug>/invitations/<int:pk>/resend/", views.study_invitation_resend, name="invitation_resend"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("studies/new/", views.study_new, name="study_new"),
    path("studies/<slug:slug>/study-file/", views.study_file, name="study_file"),
    path("studies/<slug:slug>/history/", views.history, name="history"),
    path("studies/<slug:slug>/settings/", views.study_settings, name="study_settings"),
    path("studies/<slug:slug>/content/", views.study_content, name="study_content"),
    path("studies/<slug:slug>/rounds/new/", views.round_new, name="round_new"),
    path("studies/<slug:slug>/rounds/<int:number>/manage/", views.round_manage, name="round_manage"),
    path("studies/<slug:slug>/rounds/<int:number>/open/", views.round_open_view, name="round_open"),
    path("studies/<slug:slug>/rounds/<int:number>/extend/", views.round_extend_view, name="round_extend"),
    path("studies/<slug:slug>/rounds/<int:number>/close/", views.round_close_view, name="round_close"),
    path("studies/<slug:slug>/rounds/<int:number>/release/", views.round_release_view, name="round_release"),
    path("studies/<slug:slug>/rounds/<int:number>/remind/", views.round_remind_view, name="round_remind"),
    path("studies/<slug:slug>/rounds/<int:number>/next/", views.round_next, name="round_next"),
    path("studies/<slug:slug>/rounds/<int:number>/statements/", views.statement_add_view, name="statement_add"),
    path("studies/<slug:slug>/rounds/<int:number>/matrix/", views.matrix_add_view, name="matrix_add"),
    path("studies/new/empty/", views_facilitator.study_create_view, name="study_create"),
    path(
        "studies/<slug:slug>/rounds/<int:number>/items/<int:pk>/",
        views_facilitator.round_item_edit,
        name="round_item_edit",
    ),
    path(
        "studies/<slug:slug>/rounds/<int:number>/items/<int:pk>/remove/",
        views_facilitator.round_item_remove,
        name="round_item_remove",
    ),
    path(
        "studies/<slug:slug>/rounds/<int:number>/merge-options/",
        views_facilitator.round_options_merge,
        name="round_options_merge",
    ),
]
