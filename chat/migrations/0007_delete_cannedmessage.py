"""Canned messages move to the knowledge base (issue 7): the table stays,
only Django's idea of which app owns it changes (knowledgebase 0001)."""

from django.db import migrations


def move_content_type(apps, schema_editor):
    """Keep admin log entries and permissions pointing at the same rows."""
    content_type = apps.get_model("contenttypes", "ContentType")
    if not content_type.objects.filter(
        app_label="knowledgebase", model="cannedmessage"
    ).exists():
        content_type.objects.filter(app_label="chat", model="cannedmessage").update(
            app_label="knowledgebase"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0006_ticket_source_sms"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="CannedMessage")],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, migrations.RunPython.noop),
    ]
