"""Drop DRF's `authtoken_token` table, left behind once `rest_framework.authtoken` is gone.

ApiToken replaced DRF's tokens before the first release; their keys are not
carried over: holders get a new key from `issue_token` (or the admin). A
database created before the switch still holds that table, with every old key
in clear: this drops it, and forgets authtoken's applied migrations, so that no
plain key is left behind and reinstalling the app (or running an older release)
recreates an empty table instead of failing. A database that never had the
table is left as it is.
"""

from django.db import migrations
from django.db.migrations.recorder import MigrationRecorder

LEGACY_TABLE = "authtoken_token"


def drop_legacy_authtoken(apps, schema_editor):
    connection = schema_editor.connection
    if LEGACY_TABLE in connection.introspection.table_names():
        schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(LEGACY_TABLE)}")
    MigrationRecorder(connection).migration_qs.filter(app="authtoken").delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(drop_legacy_authtoken, migrations.RunPython.noop)]
