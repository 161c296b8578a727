"""Which models the audit trail (django-auditlog) records: who changed what,
when. Each entry carries the row's library id (`get_additional_data`) so the
admin can show coordinators the entries of their own library."""

import contextlib

from auditlog.context import auditlog_value, set_actor
from auditlog.registry import auditlog
from django.db.models.signals import pre_save


def register_models() -> None:
    from consortium import models

    for model in (
        models.Queue,
        models.Term,
        models.PostedHours,
        models.Holiday,
        models.Closure,
        models.Liaison,
        models.ReferralAgreement,
        models.Announcement,
        models.ProblemReport,
        models.ConsortiumSettings,
    ):
        _register(model)
    _register(models.Library, m2m_fields={"coops"})
    _register(models.Staff, exclude=("password", "last_login"))

    from scheduling import models as schedule

    for model in (
        schedule.CoverageRequirement,
        schedule.ShiftSlot,
        schedule.Shift,
        schedule.SubstitutionRequest,
        schedule.ScheduleChangeRequest,
    ):
        _register(model)

    from chat import models as chat

    # The retention job's runs (SPEC R4): what it scrubbed, on the help desk's trail.
    _register(chat.RetentionRun)


def _register(model, exclude=(), **options) -> None:
    """Track the row's own columns (not reverse relations, which would show
    as noise like "closures: None")."""
    if auditlog.contains(model):
        return
    fields = [f.name for f in model._meta.concrete_fields if f.name not in exclude]
    auditlog.register(model, include_fields=fields, **options)


def _context_is_live(context: dict) -> bool:
    uid = context.get("signal_duid")
    return any(key[0] == uid for key, *_ in pre_save.receivers)


@contextlib.contextmanager
def acting_as(actor):
    """Attribute audit entries written inside to `actor`, unless an enclosing
    context (a request, an outer service) already names the actor.

    django-auditlog's `set_actor` does not nest: an inner one leaves the outer
    context without an actor. This wrapper never nests it and restores what
    was there before.
    """
    previous = auditlog_value.get(None)
    if previous and previous.get("actor") is not None and _context_is_live(previous):
        yield
        return
    with set_actor(actor):
        try:
            yield
        finally:
            if previous is not None:
                auditlog_value.set(previous)
