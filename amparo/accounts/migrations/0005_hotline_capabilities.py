from django.db import migrations

from amparo.accounts.roles import grant_new_capabilities


def grant(apps, schema_editor):
    grant_new_capabilities(apps.get_model("accounts", "Role"), "coordinator", ["hotline.schedule"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_people_capabilities")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
