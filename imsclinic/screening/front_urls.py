from django.urls import path

from imsclinic.screening import front_views

app_name = "front"
urlpatterns = [
    path("<slug:clinic_slug>/", front_views.clinic_page, name="clinic"),
    path("<slug:clinic_slug>/edit/", front_views.edit_clinic_page, name="edit"),
    path("<slug:clinic_slug>/logo.png", front_views.clinic_logo, name="logo"),
]
