from django.urls import path

from imsclinic.bench import views

app_name = "bench"
urlpatterns = [
    # Public on purpose (core/routes.py): no data, no session; the benchmark's ceiling.
    path("hello", views.hello, name="hello"),
    path("signed-in", views.signed_in, name="signed-in"),
]
