"""Give every entry stored before the audit trail existed its first history record."""

from django.db import migrations

from ctht_api.audit import insert_baseline_history

REASON = "Recorded when the audit trail was switched on."


def forwards(apps, schema_editor):
    for name in ("Institution", "Person", "Position"):
        insert_baseline_history(
            apps.get_model("people", name),
            apps.get_model("people", f"Historical{name}"),
            reason=REASON,
            connection=schema_editor.connection,
        )


class Migration(migrations.Migration):
    dependencies = [("people", "0003_version_and_history")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
