from django.db import migrations


def add_defaults(apps, schema_editor):
    from knowledgebase.defaults import CANNED_MESSAGES

    CannedMessage = apps.get_model("chat", "CannedMessage")
    for position, (key, group, title, body) in enumerate(CANNED_MESSAGES):
        CannedMessage.objects.get_or_create(
            library=None,
            key=key,
            defaults={
                "group": group,
                "title": title,
                "body": body,
                "position": position,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("chat", "0003_transcript_token_unique")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
