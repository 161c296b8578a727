"""Indexes of the audit trail's admin list (django-auditlog's table), on
PostgreSQL: a coordinator's entries, newest first (`additional_data ->
'library_id'`, the very expression `ScopedLogEntryAdmin` filters on), and
trigram indexes for its search (`icontains`: `UPPER(col::text) LIKE`).
SQLite has neither GIN nor pg_trgm; it scans, which is fine at its size."""

from django.db import migrations

INDEXES = [
    (
        "auditlog_entry_library",
        "btree (((additional_data -> 'library_id')), \"timestamp\")",
    ),
    ("auditlog_entry_repr_trgm", "gin ((UPPER(object_repr::text)) gin_trgm_ops)"),
    ("auditlog_entry_changes_trgm", "gin ((UPPER(changes::text)) gin_trgm_ops)"),
]


def add_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX {name} ON auditlog_logentry USING {definition}"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _definition in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("consortium", "0003_substitutes"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunPython(add_indexes, drop_indexes)]
