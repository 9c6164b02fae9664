from django.urls import path

from . import views

app_name = "care"
urlpatterns = [
    path("", views.index, name="index"),
    path("refer/", views.refer, name="refer"),
    path("referrals/", views.referrals, name="referrals"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/reveal/", views.case_reveal, name="case_reveal"),
    path("cases/<int:pk>/assign/", views.case_assign, name="case_assign"),
    path("cases/<int:pk>/unassign/", views.case_unassign, name="case_unassign"),
    path("cases/<int:pk>/verify/", views.case_verify, name="case_verify"),
    path("cases/<int:pk>/measures/", views.measure_new, name="measure_new"),
    path("cases/<int:pk>/followup/", views.followup, name="followup"),
    path("cases/<int:pk>/close/", views.close, name="close"),
    path("cases/<int:pk>/reopen/", views.reopen, name="reopen"),
    path("measures/<int:pk>/update/", views.measure_update, name="measure_update"),
    path("measures/", views.org_measures, name="org_measures"),
    path("measures/<int:pk>/", views.org_measure, name="org_measure"),
    path("from-appeal/<int:appeal_pk>/", views.from_appeal, name="from_appeal"),
    path("notice/<str:code>/", views.notice, name="notice"),
    path("export/", views.export, name="export"),
    path("visits/", views.visits, name="visits"),
    path("visits/new/<int:resident>/", views.visit_new, name="visit_new"),
]
