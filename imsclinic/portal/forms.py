from django import forms


class SignUpForm(forms.Form):
    date_of_birth = forms.DateField(
        label="Your date of birth",
        help_text="As the clinic has it on file, e.g. 1980-04-30.",
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
    )
    username = forms.RegexField(
        regex=r"^[\w.@+-]{3,150}$",
        max_length=150,
        help_text="3 or more letters, digits or . @ + - _",
        error_messages={"invalid": "Use 3 or more letters, digits or . @ + - _"},
    )
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput)
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords do not match.")
        return data


class PortalBookingForm(forms.Form):
    slot = forms.ChoiceField(label="Choose a time", widget=forms.RadioSelect)

    def __init__(self, *args, slot_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].choices = slot_choices
        self.fields["slot"].error_messages["invalid_choice"] = (
            "That time is no longer available; please choose another."
        )
