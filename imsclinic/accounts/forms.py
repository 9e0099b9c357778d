from django import forms
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    """Username or email. Errors stay generic so they never reveal which part was wrong."""

    username = forms.CharField(
        label="Username or email",
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": "That username or email and password do not match an active account.",
        "inactive": "That username or email and password do not match an active account.",
    }
