"""Fill in existing statements' search documents; on PostgreSQL, index them (GIN).

The index is on the exact expression `ctht_api.search.search_stored` filters
with, so the planner can use it. SQLite has no full-text index here: it
searches the folded document with LIKE.
"""

from django.db import migrations

INDEX = (
    "CREATE INDEX IF NOT EXISTS statement_search_gin ON events_statement "
    "USING gin (to_tsvector('ctht_search'::regconfig, COALESCE(search_document, '')))"
)
DROP = "DROP INDEX IF EXISTS statement_search_gin"


def backfill(apps, schema_editor):
    from ctht_api.search import statement_search_document

    Statement = apps.get_model("events", "Statement")
    batch = []
    for statement in Statement.objects.select_related("speaker", "event").iterator(chunk_size=2000):
        statement.search_document = statement_search_document(
            text=statement.text,
            speaker_name=statement.speaker.full_name,
            event_title=statement.event.title if statement.event_id else None,
            translations=statement.translations.values_list("language", "text"),
        )
        batch.append(statement)
        if len(batch) >= 2000:
            Statement.objects.bulk_update(batch, ["search_document"])
            batch = []
    Statement.objects.bulk_update(batch, ["search_document"])


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INDEX)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("events", "0003_statement_search_document_and_keyset_indexes")]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(create_index, drop_index),
    ]
