from django.urls import include, path

from imsclinic.scheduling import views

app_name = "scheduling"
urlpatterns = [
    path("", views.day_view, name="day"),
    path("book/", views.book, name="book"),
    path("calendar/", views.calendar_view, name="calendar"),
    path("closures/", views.closures, name="closures"),
    path("closures/add/", views.closure_add, name="closure-add"),
    path("closures/holidays/", views.closure_holidays, name="closure-holidays"),
    path("closures/<uuid:row_uuid>/remove/", views.closure_remove, name="closure-remove"),
    path("appointments/<uuid:appointment_uuid>/", views.appointment_detail, name="appointment"),
    path(
        "appointments/<uuid:appointment_uuid>/status/",
        views.appointment_status,
        name="appointment-status",
    ),
    path(
        "appointments/<uuid:appointment_uuid>/reschedule/",
        views.appointment_reschedule,
        name="appointment-reschedule",
    ),
    path(
        "appointments/<uuid:appointment_uuid>/cancel/",
        views.appointment_cancel,
        name="appointment-cancel",
    ),
    path(
        "appointments/<uuid:appointment_uuid>/video-link/",
        views.appointment_video_link,
        name="appointment-video-link",
    ),
    path("availability/", views.availability_view, name="availability"),
    path("availability/add/", views.availability_add, name="availability-add"),
    path("availability/exceptions/add/", views.exception_add, name="exception-add"),
    path(
        "availability/<uuid:row_uuid>/remove/",
        views.availability_remove,
        name="availability-remove",
    ),
    path(
        "availability/exceptions/<uuid:row_uuid>/remove/",
        views.exception_remove,
        name="exception-remove",
    ),
    path("feed/", views.feed_settings, name="feed-settings"),
    path("feed/<str:token>.ics", views.feed, name="feed"),
    path("instructions/", views.instructions, name="instructions"),
    path("waitlist/", include("imsclinic.scheduling.waitlist.urls")),
]
