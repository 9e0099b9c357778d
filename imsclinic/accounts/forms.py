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


class OTPTokenForm(forms.Form):
    """A six-digit code from the authenticator app, or one eight-character backup code."""

    token = forms.CharField(
        label="Code",
        max_length=16,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "spellcheck": "false",
            }
        ),
        help_text="The 6-digit code from your authenticator app, or one of your backup codes.",
    )

    def clean_token(self):
        # People type codes with spaces or dashes ("123 456"); the devices want the bare code.
        value = "".join(ch for ch in self.cleaned_data["token"] if ch.isalnum()).lower()
        if not 6 <= len(value) <= 16:
            raise forms.ValidationError("Enter the 6-digit code or a backup code.")
        return value


class EnrolmentPasswordForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


class EmailCodeForm(forms.Form):
    code = forms.CharField(
        label="Code from the email",
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )

    def clean_code(self):
        value = "".join(ch for ch in self.cleaned_data["code"] if ch.isdigit())
        if len(value) != 6:
            raise forms.ValidationError("Enter the 6-digit code from the email.")
        return value
