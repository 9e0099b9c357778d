from django.urls import path

from imsclinic.outcomes import views

app_name = "outcomes"
urlpatterns = [
    path("patients/<uuid:patient_uuid>/", views.outcomes_tab, name="tab"),
    path(
        "patients/<uuid:patient_uuid>/record/<slug:instrument_id>/",
        views.record_questionnaire,
        name="record",
    ),
    path(
        "patients/<uuid:patient_uuid>/courses/<uuid:course_uuid>/discharge/",
        views.discharge,
        name="discharge",
    ),
    path("instruments/", views.instruments, name="instruments"),
    path("analytics/", views.analytics_page, name="analytics"),
    path("analytics/export.csv", views.analytics_csv, name="analytics-csv"),
    path("network/", views.network_dashboard, name="network"),
    path("portal/<slug:instrument_id>/", views.portal_questionnaire, name="portal-questionnaire"),
]
