from django.urls import path

from imsclinic.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("book/", views.book, name="book"),
    path("intake/", views.intake, name="intake"),
    path("pain-drawing/", views.pain_drawing, name="pain-drawing"),
    path("appointments/<uuid:appointment_uuid>/cancel/", views.cancel, name="cancel"),
    path("join/<str:token>/", views.join, name="join"),
    path("invite/<uuid:patient_uuid>/", views.invite, name="invite"),
]
