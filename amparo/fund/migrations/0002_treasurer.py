from django.db import migrations

from amparo.accounts.roles import grant_new_capabilities, sync_default_roles


def roles(apps, schema_editor):
    role = apps.get_model("accounts", "Role")
    sync_default_roles(role)  # the treasurer
    grant_new_capabilities(role, "coordinator", ["fund.ledger"])


class Migration(migrations.Migration):
    dependencies = [("fund", "0001_initial"), ("accounts", "0009_user_deactivation_reason")]

    operations = [migrations.RunPython(roles, migrations.RunPython.noop)]
