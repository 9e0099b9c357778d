from django.apps import AppConfig


class GatewayConfig(AppConfig):
    """The one way in to patient data (records.load) and to the API (api_auth, tokens).

    It sits above `patients` and `audit`: it scopes a read to the user's clinics, checks the role
    and writes the access-log row. `core` stays a leaf below everything.
    """

    name = "imsclinic.gateway"
    label = "gateway"

    def ready(self):
        from imsclinic.gateway import signals  # noqa: F401 - connects the credential receivers
