from django.core.management.base import BaseCommand, CommandError

from imsclinic.accounts.models import Clinic, User
from imsclinic.interop import actions


class Command(BaseCommand):
    help = (
        "API tokens. `token create USERNAME` prints a personal token; "
        "`token create --clinic SLUG --scopes read,fhir --name NAME` an integration token."
    )

    def add_arguments(self, parser):
        parser.add_argument("subcommand", choices=["create"])
        parser.add_argument("username", nargs="?", help="Staff user for a personal token")
        parser.add_argument("--name", default="", help="What the token is for")
        parser.add_argument("--clinic", help="Clinic slug, for an integration token")
        parser.add_argument("--scopes", default="read", help="Integration scopes: read,write,fhir")
        parser.add_argument("--expires-days", type=int, default=None)

    def handle(self, *args, subcommand, username, name, clinic, scopes, expires_days, **options):
        try:
            if clinic:
                try:
                    clinic_obj = Clinic.objects.get(slug=clinic)
                except Clinic.DoesNotExist as exc:
                    raise CommandError(f"No clinic with slug {clinic!r}.") from exc
                _, raw = actions.create_integration_token(
                    clinic=clinic_obj,
                    by=None,
                    name=name or "Integration",
                    scopes=[s.strip() for s in scopes.split(",") if s.strip()],
                    expires_in_days=expires_days,
                )
            else:
                if not username:
                    raise CommandError("Give a USERNAME, or --clinic for an integration token.")
                try:
                    user = User.objects.get(username=username)
                except User.DoesNotExist as exc:
                    raise CommandError(f"No user {username!r}.") from exc
                _, raw = actions.create_personal_token(
                    user=user,
                    by=None,
                    name=name or "Personal token",
                    expires_in_days=expires_days,
                )
        except actions.TokenError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(raw)
