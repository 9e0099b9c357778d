from django.urls import path

from imsclinic.clinics import views

app_name = "clinics"

urlpatterns = [
    path("", views.index, name="index"),
    path("<uuid:clinic_uuid>/staff/", views.staff, name="staff"),
    path("<uuid:clinic_uuid>/staff/<uuid:user_uuid>/", views.staff_member, name="staff_member"),
    path("<uuid:clinic_uuid>/staff/<uuid:user_uuid>/roles/", views.staff_roles, name="staff_roles"),
    path(
        "<uuid:clinic_uuid>/staff/<uuid:user_uuid>/registrations/",
        views.staff_registration,
        name="staff_registration",
    ),
    path(
        "<uuid:clinic_uuid>/staff/<uuid:user_uuid>/authorisations/",
        views.staff_authorisation,
        name="staff_authorisation",
    ),
    path(
        "<uuid:clinic_uuid>/staff/<uuid:user_uuid>/offboard/",
        views.staff_offboard,
        name="staff_offboard",
    ),
    path("<uuid:clinic_uuid>/settings/", views.clinic_settings, name="settings"),
    path("<uuid:clinic_uuid>/logo/", views.clinic_logo, name="logo"),
    path("<uuid:clinic_uuid>/services/", views.services, name="services"),
    path(
        "<uuid:clinic_uuid>/services/<uuid:service_uuid>/", views.service_edit, name="service_edit"
    ),
    path(
        "<uuid:clinic_uuid>/services/<uuid:service_uuid>/active/",
        views.service_active,
        name="service_active",
    ),
    path("invitation/<uidb64>/<token>/", views.accept_invitation, name="accept_invitation"),
]
