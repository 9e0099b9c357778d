from django.apps import AppConfig
from django.contrib.staticfiles.apps import StaticFilesConfig


class WebConfig(AppConfig):
    """The host on top of the areas: pages that combine them (home, Today), the navigation's
    context, and operator commands that span them (serve, demo, backup, restore, the knowledge
    CLIs). It may import any area; no area imports it. `core`, at the bottom, imports none."""

    name = "imsclinic.web"
    label = "web"


class ProductionStaticFilesConfig(StaticFilesConfig):
    """Production does not route Django admin (imsclinic/urls.py), so `collectstatic` leaves
    its 6 MB of styles and scripts out: half of what the server compresses at every start."""

    ignore_patterns = [*StaticFilesConfig.ignore_patterns, "admin"]
