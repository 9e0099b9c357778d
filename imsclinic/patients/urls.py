from django.urls import path

from imsclinic.patients import views

app_name = "patients"
urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_create, name="create"),
    path("<uuid:patient_uuid>/", views.patient_chart, name="chart"),
    path("<uuid:patient_uuid>/edit/", views.patient_edit, name="edit"),
    path("<uuid:patient_uuid>/access-log/", views.access_log, name="access-log"),
    path("<uuid:patient_uuid>/duplicates/", views.duplicates, name="duplicates"),
    path("<uuid:patient_uuid>/merge/", views.merge, name="merge"),
]
