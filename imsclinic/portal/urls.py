from django.urls import path

from imsclinic.portal import views
from imsclinic.scheduling.waitlist import portal as waitlist

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("book/", views.book, name="book"),
    path("waitlist/", waitlist.waitlist, name="waitlist"),
    path("waitlist/<uuid:entry_uuid>/leave/", waitlist.leave, name="waitlist-leave"),
    path("intake/", views.intake, name="intake"),
    path("pain-drawing/", views.pain_drawing, name="pain-drawing"),
    path("appointments/<uuid:appointment_uuid>/cancel/", views.cancel, name="cancel"),
    path("join/<str:token>/", views.join, name="join"),
    path("invite/<uuid:patient_uuid>/", views.invite, name="invite"),
]
