from django.urls import path

from imsclinic.screening import front_views, views

app_name = "screening"
# Staff routes come first: "requests" is therefore a reserved word that no clinic slug may use.
urlpatterns = [
    path("", views.choose_clinic, name="choose-clinic"),
    path("requests/", views.request_list, name="requests"),
    path("requests/<uuid:request_uuid>/", views.request_detail, name="request"),
    path("requests/<uuid:request_uuid>/status/", views.request_status, name="request-status"),
    path("requests/<uuid:request_uuid>/patient/", views.request_to_patient, name="request-patient"),
    path("requests/<uuid:request_uuid>/attach/", views.request_attach, name="request-attach"),
    path("<slug:clinic_slug>/", views.screening_form, name="form"),
    path("<slug:clinic_slug>/result/", views.screening_result, name="result"),
    path("<slug:clinic_slug>/contact/", views.contact, name="contact"),
    path("<slug:clinic_slug>/book/", views.book, name="book"),
    path("<slug:clinic_slug>/booked/", views.booked, name="booked"),
    path("<slug:clinic_slug>/manage/<str:token>/", front_views.manage_booking, name="manage"),
]
