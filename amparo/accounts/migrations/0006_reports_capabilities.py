from django.db import migrations

from amparo.accounts.roles import grant_new_capabilities

NEW = {
    "coordinator": ["reports.view"],
    "dispatcher": ["reports.view", "reports.verify"],
    "verifier": ["reports.view"],
}


def grant(apps, schema_editor):
    role = apps.get_model("accounts", "Role")
    for slug, caps in NEW.items():
        grant_new_capabilities(role, slug, caps)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_hotline_capabilities")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
