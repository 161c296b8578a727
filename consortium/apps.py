from django.apps import AppConfig
from django.db import transaction
from django.db.backends.signals import connection_created
from django.db.models.signals import post_delete, post_save


def _forget_settings(sender, **kwargs):
    """A changed ConsortiumSettings row is read again: now, and after the
    commit (a read between the two would cache the old row). The row that
    `load` creates with the defaults needs no second forgetting."""
    sender.forget()
    if not kwargs.get("created"):
        transaction.on_commit(sender.forget, using=kwargs.get("using"))


def _forget_calendars(sender, **kwargs):
    """Holidays, closures, terms or posted hours changed: the queues' kept
    calendars are read again, now and after the commit."""
    from consortium.selectors import forget_calendars

    forget_calendars()
    transaction.on_commit(forget_calendars, using=kwargs.get("using"))


class ConsortiumConfig(AppConfig):
    name = "consortium"
    verbose_name = "Consortium"

    def ready(self):
        from consortium import audit, sql

        audit.register_models()
        connection_created.connect(
            sql.register_sqlite_functions, dispatch_uid="asktogether-sqlite-sql"
        )
        settings_model = self.get_model("ConsortiumSettings")
        for signal in (post_save, post_delete):
            signal.connect(
                _forget_settings,
                sender=settings_model,
                dispatch_uid=f"asktogether-forget-settings-{signal is post_save}",
            )
            for name in ("Holiday", "Closure", "Term", "PostedHours"):
                signal.connect(
                    _forget_calendars,
                    sender=self.get_model(name),
                    dispatch_uid=f"asktogether-forget-calendars-{name}-"
                    f"{signal is post_save}",
                )
