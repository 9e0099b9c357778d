from django.apps import AppConfig


class WebConfig(AppConfig):
    """The host on top of the areas: pages that combine them (home, Today), the navigation's
    context, and operator commands that span them (serve, demo, backup, restore, the knowledge
    CLIs). It may import any area; no area imports it. `core`, at the bottom, imports none."""

    name = "imsclinic.web"
    label = "web"
