from django.urls import path

from imsclinic.interop import views

app_name = "interop"
urlpatterns = [
    path("portal/record/", views.portal_record, name="portal-record"),
    path("portal/record.pdf", views.portal_record_pdf, name="portal-record-pdf"),
    path("portal/record.fhir.json", views.portal_record_fhir, name="portal-record-fhir"),
    path("portal/appointments.ics", views.portal_appointments_ics, name="portal-appointments-ics"),
    path("exports/", views.exports, name="exports"),
    path("exports/csv/", views.export_csv, name="export-csv"),
    path("exports/fhir/", views.export_fhir, name="export-fhir"),
]
