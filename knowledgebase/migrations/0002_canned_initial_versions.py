"""The canned messages that existed before history was kept (the defaults
chat's migration 0004 made) get their first version, so their original
wording can be compared with and restored."""

from django.db import migrations
from django.utils import timezone

FIELDS = ("id", "library_id", "group", "key", "title", "body", "position")


def first_versions(apps, schema_editor):
    canned = apps.get_model("knowledgebase", "CannedMessage")
    history = apps.get_model("knowledgebase", "HistoricalCannedMessage")
    known = set(history.objects.values_list("id", flat=True))
    now = timezone.now()
    history.objects.bulk_create(
        history(
            **{f: getattr(row, f) for f in FIELDS},
            history_date=now,
            history_type="+",
            history_change_reason="Initial version",
        )
        for row in canned.objects.exclude(pk__in=known)
    )


class Migration(migrations.Migration):
    dependencies = [("knowledgebase", "0001_initial")]

    operations = [migrations.RunPython(first_versions, migrations.RunPython.noop)]
