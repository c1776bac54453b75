"""The migration that drops DRF's leftover `authtoken_token` table, where old keys sit in clear."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

pytestmark = pytest.mark.django_db

migration = importlib.import_module("accounts.migrations.0002_drop_legacy_authtoken")


def run_migration() -> None:
    # The real schema editor, not entered: entering it inside the test's
    # transaction is refused on SQLite, and the function only executes SQL.
    migration.drop_legacy_authtoken(None, connection.schema_editor())


def test_the_legacy_table_and_its_migration_history_are_dropped():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY)")
        cursor.execute("INSERT INTO authtoken_token VALUES ('9944b09199c62bcf9418ad846dd0e4bb')")
    recorder = MigrationRecorder(connection)
    recorder.record_applied("authtoken", "0001_initial")

    run_migration()

    assert "authtoken_token" not in connection.introspection.table_names()
    assert not recorder.migration_qs.filter(app="authtoken").exists()


def test_a_database_without_the_table_is_left_as_it_is():
    tables = connection.introspection.table_names()

    run_migration()

    assert connection.introspection.table_names() == tables
