"""The `ctht_search` text-search configuration (simple + unaccent), on PostgreSQL only.

SQLite needs nothing here: its accent folding is a function registered on
each connection (see ctht_api/search.py).
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS unaccent;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'ctht_search') THEN
        CREATE TEXT SEARCH CONFIGURATION ctht_search (COPY = simple);
        ALTER TEXT SEARCH CONFIGURATION ctht_search
            ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;
    END IF;
END $$;
"""
DROP = "DROP TEXT SEARCH CONFIGURATION IF EXISTS ctht_search;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
