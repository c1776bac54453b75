"""Give every entry stored before the audit trail existed its first history record."""

from django.db import migrations

from ctht_api.audit import insert_baseline_history

REASON = "Recorded when the audit trail was switched on."
AUDITED = {
    "Topic": [],
    "Programme": ["funders"],
    "Document": [],
    "Event": ["countries", "organisers", "topics", "programmes", "documents"],
    "Statement": ["countries", "topics"],
    "StatementTranslation": [],
}


def forwards(apps, schema_editor):
    for name, m2m_fields in AUDITED.items():
        model = apps.get_model("events", name)
        m2m = [
            (
                model._meta.get_field(field).remote_field.through,
                apps.get_model("events", f"Historical{name}_{field}"),
            )
            for field in m2m_fields
        ]
        insert_baseline_history(
            model,
            apps.get_model("events", f"Historical{name}"),
            m2m,
            reason=REASON,
            connection=schema_editor.connection,
        )


class Migration(migrations.Migration):
    dependencies = [("events", "0005_version_and_history")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
