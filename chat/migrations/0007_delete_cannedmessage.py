"""Canned messages move to the knowledge base (issue 7): the table stays,
only Django's idea of which app owns it changes (knowledgebase 0001)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("chat", "0006_ticket_source_sms")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="CannedMessage")],
            database_operations=[],
        )
    ]
