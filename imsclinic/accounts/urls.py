from django.contrib.auth import views as auth_views
from django.urls import path

from imsclinic.accounts import views
from imsclinic.accounts.forms import LoginForm
from imsclinic.core.ratelimits import rate_limited

# Reset emails are limited per client address and per address asked for, so nobody can flood an
# inbox or probe the form at speed.
password_reset_view = rate_limited("password-reset")(
    rate_limited("password-reset-email", key=views.reset_email_key)(
        auth_views.PasswordResetView.as_view()
    )
)

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("2fa/", views.two_factor_status, name="two_factor_status"),
    path("2fa/confirm/", views.two_factor_confirm, name="two_factor_confirm"),
    path("2fa/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("2fa/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("password-reset/", password_reset_view, name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
