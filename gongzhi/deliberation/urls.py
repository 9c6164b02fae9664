from django.urls import path

from . import views

app_name = "deliberation"
urlpatterns = [
    path("", views.index, name="index"),
    path("votes/new/", views.vote_new, name="vote_new"),
    path("votes/<int:pk>/", views.vote_detail, name="vote"),
    path("votes/<int:pk>/ballot/", views.vote_ballot, name="vote_ballot"),
    path("votes/<int:pk>/enter/", views.vote_enter, name="vote_enter"),
    path("votes/<int:pk>/open/", views.vote_step, {"step": "open"}, name="vote_open"),
    path("votes/<int:pk>/close/", views.vote_step, {"step": "close"}, name="vote_close"),
    path("votes/<int:pk>/result/", views.vote_result, name="vote_result"),
    path("topics/new/", views.topic_new, name="topic_new"),
    path("topics/<int:pk>/", views.topic_detail, name="topic"),
    path("topics/<int:pk>/support/", views.topic_support, name="topic_support"),
    path("topics/<int:pk>/decide/", views.topic_decide, name="topic_decide"),
    path("resolutions/new/", views.resolution_new, name="resolution_new"),
    path("resolutions/<int:pk>/", views.resolution_detail, name="resolution"),
    path("resolutions/<int:pk>/progress/", views.resolution_progress, name="resolution_progress"),
    path("meetings/new/", views.meeting_new, name="meeting_new"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/minutes/", views.meeting_record, name="meeting_record"),
    path("meetings/<int:pk>/minutes.pdf", views.meeting_pdf, name="meeting_pdf"),
    path("mediations/", views.mediation_list, name="mediations"),
    path("mediations/new/", views.mediation_new, name="mediation_new"),
    path("mediations/<int:pk>/", views.mediation_detail, name="mediation"),
    path("mediations/<int:pk>/reveal/", views.mediation_reveal, name="mediation_reveal"),
    path("mediations/<int:pk>/session/", views.mediation_step, {"step": "session"}, name="mediation_session"),
    path("mediations/<int:pk>/agreement/", views.mediation_step, {"step": "agree"}, name="mediation_agree"),
    path("mediations/<int:pk>/hand-over/", views.mediation_step, {"step": "hand_over"}, name="mediation_hand_over"),
    path("mediations/<int:pk>/follow-up/", views.mediation_step, {"step": "follow_up"}, name="mediation_follow_up"),
    path("mediations/<int:pk>/close/", views.mediation_step, {"step": "close"}, name="mediation_close"),
    path("mediations/from-appeal/<int:appeal_pk>/", views.mediation_from_appeal, name="mediation_from_appeal"),
]
