from django.urls import path

from imsclinic.scheduling.waitlist import views

app_name = "waitlist"
urlpatterns = [
    path("", views.waitlist, name="list"),
    path("add/", views.entry_add, name="add"),
    path("matches/", views.matches_view, name="matches"),
    path("offer/", views.offer_create, name="offer"),
    path("offer/<str:token>/", views.accept, name="accept"),
    path("<uuid:entry_uuid>/", views.entry_edit, name="entry"),
    path("<uuid:entry_uuid>/withdraw/", views.entry_withdraw, name="withdraw"),
    path("<uuid:entry_uuid>/book/", views.entry_book, name="book"),
]
