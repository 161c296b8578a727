from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    """Coverage requirements, shifts, substitutes and shift-gap alerts (issue 6)."""

    name = "scheduling"
