"""The signed-in staff member's own profile (clinics.views.my_profile), at /profile/."""

from django.urls import path

from imsclinic.clinics import views

app_name = "profile"

urlpatterns = [path("", views.my_profile, name="me")]
