from django.urls import path

from imsclinic.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("today/", views.today, name="today"),
    path("clinic/switch/", views.switch_clinic, name="switch-clinic"),
    path("healthz", views.healthz, name="healthz"),
]
