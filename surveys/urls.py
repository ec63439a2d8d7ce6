from django.urls import path

from surveys.views import home, invitation, panelist
from surveys.views.facilitator import builder, invitations, next_round, preview, rounds, studies

app_name = "surveys"

round_url = "studies/<slug:slug>/rounds/<int:number>/"

urlpatterns = [
    path("", home.home, name="home"),
    # The panelist's pages.
    path(round_url, panelist.vote, name="vote"),
    path(round_url + "results/", panelist.results, name="results"),
    # The invitee's page.
    path("invitations/<str:token>/", invitation.accept, name="invitation"),
    # The facilitator's pages: the study.
    path("studies/new/", studies.study_new, name="study_new"),
    path("studies/new/empty/", studies.study_create, name="study_create"),
    path("studies/<slug:slug>/study-file/", studies.study_file, name="study_file"),
    path("studies/<slug:slug>/history/", studies.history, name="history"),
    path("studies/<slug:slug>/settings/", studies.study_settings, name="study_settings"),
    path("studies/<slug:slug>/invitations/", invitations.invitation_list, name="study_invitations"),
    path("studies/<slug:slug>/invitations/note/", invitations.invitation_note, name="invitation_note"),
    path("studies/<slug:slug>/invitations/<int:pk>/revoke/", invitations.invitation_revoke, name="invitation_revoke"),
    path("studies/<slug:slug>/invitations/<int:pk>/resend/", invitations.invitation_resend, name="invitation_resend"),
    path("studies/<slug:slug>/members/<int:pk>/remove/", invitations.member_remove, name="member_remove"),
    # Running rounds.
    path("studies/<slug:slug>/rounds/new/", rounds.round_new, name="round_new"),
    path(round_url + "manage/", rounds.round_manage, name="round_manage"),
    path(round_url + "preview/", preview.round_preview, name="round_preview"),
    path(round_url + "open/", rounds.round_open, name="round_open"),
    path(round_url + "extend/", rounds.round_extend, name="round_extend"),
    path(round_url + "close/", rounds.round_close, name="round_close"),
    path(round_url + "release/", rounds.round_release, name="round_release"),
    path(round_url + "delete/", rounds.round_delete, name="round_delete"),
    path(round_url + "remind/", rounds.round_remind, name="round_remind"),
    # Building a draft round, and drafting the next.
    path(round_url + "statements/", builder.statement_add, name="statement_add"),
    path(round_url + "matrix/", builder.matrix_add, name="matrix_add"),
    path(round_url + "items/<int:pk>/", builder.item_edit, name="round_item_edit"),
    path(round_url + "items/<int:pk>/remove/", builder.item_remove, name="round_item_remove"),
    path(round_url + "items/<int:pk>/move/", builder.item_move, name="round_item_move"),
    path(round_url + "merge-options/", builder.options_merge, name="round_options_merge"),
    path(round_url + "next/", next_round.round_next, name="round_next"),
]
