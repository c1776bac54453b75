"""Load the ISO 3166-1 alpha-2 country list (plus XK) into the Country table."""

from django.db import migrations


def load_countries(apps, schema_editor):
    from people.countries import country_names

    Country = apps.get_model("people", "Country")
    for code, name in country_names().items():
        Country.objects.update_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]

    operations = [migrations.RunPython(load_countries, migrations.RunPython.noop)]
