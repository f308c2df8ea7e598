from django.db import migrations

from amparo.accounts.roles import grant_new_capabilities


def grant(apps, schema_editor):
    grant_new_capabilities(apps.get_model("accounts", "Role"), "coordinator", ["documents.manage"])


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
