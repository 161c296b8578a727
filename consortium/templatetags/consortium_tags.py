from django import template

from consortium.fields import format_minutes

register = template.Library()


@register.filter
def hhmm(minutes):
    """Minutes after midnight as HH:MM (24:00 is the end of the day)."""
    return format_minutes(minutes)
