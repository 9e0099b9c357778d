from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from imsclinic.accounts import actions


class Command(BaseCommand):
    help = (
        "Set up a clinic and its first clinic admin (production has no Django admin). The "
        "password is read from --password-file (a mounted secret) or asked for."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="The clinic's name")
        parser.add_argument("--slug", required=True, help="Short name used in public URLs")
        parser.add_argument("--time-zone", default="America/Edmonton")
        parser.add_argument("--region", default="AB", help="Province or state code")
        parser.add_argument("--admin-username", required=True)
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--password-file", type=Path)

    def handle(self, *args, **o):
        if o["password_file"]:
            password = o["password_file"].read_text().strip()
        else:
            from getpass import getpass

            password = getpass("Password for the clinic admin: ")
            if getpass("Again: ") != password:
                raise CommandError("The two passwords do not match.")
        try:
            clinic, user = actions.create_clinic_with_admin(
                name=o["name"],
                slug=o["slug"],
                time_zone=o["time_zone"],
                region=o["region"],
                username=o["admin_username"],
                email=o["admin_email"],
                password=password,
            )
        except actions.SetupError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(f"{clinic.name} is ready; {user.username} can sign in as its admin.")
        )
