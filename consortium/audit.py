"""Which models the audit trail (django-auditlog) records: who changed what,
when. Each entry carries the row's library id (`get_additional_data`) so the
admin can show coordinators the entries of their own library."""

from auditlog.registry import auditlog


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
        if not auditlog.contains(model):
            auditlog.register(model)
    if not auditlog.contains(models.Library):
        auditlog.register(models.Library, m2m_fields={"coops"})
    if not auditlog.contains(models.Staff):
        auditlog.register(models.Staff, exclude_fields=["password", "last_login"])
