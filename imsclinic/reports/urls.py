from django.urls import path

from imsclinic.reports import views

app_name = "reports"
urlpatterns = [
    path(
        "patients/<uuid:patient_uuid>/courses/<uuid:course_uuid>/<slug:kind>/",
        views.report,
        name="report",
    ),
    path(
        "patients/<uuid:patient_uuid>/courses/<uuid:course_uuid>/<slug:kind>/edit/",
        views.edit_report,
        name="edit",
    ),
    path("analytics.pdf", views.analytics_pdf, name="analytics-pdf"),
    path(
        "patients/<uuid:patient_uuid>/courses/<uuid:course_uuid>/<slug:kind>.pdf",
        views.report_pdf,
        name="report-pdf",
    ),
]
