from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from imsclinic.accounts.models import Clinic, User
from imsclinic.gateway import actions
from imsclinic.gateway.models import DEFAULT_LIFETIME_DAYS, ApiToken


class Command(BaseCommand):
    help = (
        "API tokens. `token create USERNAME` prints a personal token; "
        "`token create --clinic SLUG --scopes read,fhir --name NAME` an integration token; "
        "`token list [USERNAME]` lists tokens (never the secret); "
        "`token revoke PREFIX` revokes the token whose prefix starts so."
    )

    def add_arguments(self, parser):
        parser.add_argument("subcommand", choices=["create", "list", "revoke"])
        parser.add_argument(
            "target", nargs="?", help="create/list: a username; revoke: the token prefix"
        )
        parser.add_argument("--name", default="", help="What the token is for")
        parser.add_argument("--clinic", help="Clinic slug, for an integration token")
        parser.add_argument("--scopes", default="read", help="Integration scopes: read,write,fhir")
        parser.add_argument(
            "--expires-days",
            type=int,
            default=DEFAULT_LIFETIME_DAYS,
            help=f"Days the token works (default {DEFAULT_LIFETIME_DAYS})",
        )
        parser.add_argument("--all", action="store_true", help="list: include ended tokens")

    def handle(self, *args, subcommand, target, **options):
        if subcommand == "list":
            return self._list(target, include_ended=options["all"])
        if subcommand == "revoke":
            return self._revoke(target)
        return self._create(target, **options)

    def _list(self, username, *, include_ended):
        tokens = ApiToken.objects.select_related("user", "clinic").order_by("user__username", "id")
        if username:
            tokens = tokens.filter(user__username=username)
        if not include_ended:
            tokens = tokens.usable()
        rows = list(tokens)
        if not rows:
            self.stdout.write("No tokens.")
            return
        for token in rows:
            expires = timezone.localtime(token.expires_at).date() if token.expires_at else "never"
            used = timezone.localtime(token.last_used_at).date() if token.last_used_at else "never"
            self.stdout.write(
                f"{token.prefix}  {token.status:<8} {token.user.username:<24} {token.name[:30]:<30}"
                f"  expires {expires}  last used {used}"
            )

    def _revoke(self, prefix):
        if not prefix or len(prefix) < 8:
            raise CommandError("Give at least the first 8 characters of the token's prefix.")
        matches = list(ApiToken.objects.filter(prefix__startswith=prefix))
        if not matches:
            raise CommandError(f"No token starts with {prefix!r}.")
        if len(matches) > 1:
            raise CommandError(f"{len(matches)} tokens start with {prefix!r}; give more of it.")
        actions.revoke_token(token=matches[0], by=None)
        self.stdout.write(f"Revoked {matches[0].prefix}… ({matches[0].user.username}).")

    def _create(self, username, *, name, clinic, scopes, expires_days, **options):
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
