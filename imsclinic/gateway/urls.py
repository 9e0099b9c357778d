from django.urls import path

from imsclinic.gateway import views

app_name = "gateway"
urlpatterns = [
    path("", views.tokens, name="tokens"),
    path("<uuid:token_uuid>/revoke/", views.revoke, name="revoke"),
]
