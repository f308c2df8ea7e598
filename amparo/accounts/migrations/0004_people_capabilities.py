from django.db import migrations

from amparo.accounts.roles import grant_new_capabilities

NEW = {
    "coordinator": ["members.export", "participation.checkin", "trainings.manage"],
    "committee": ["participation.checkin"],
}


def grant(apps, schema_editor):
    role = apps.get_model("accounts", "Role")
    for slug, caps in NEW.items():
        grant_new_capabilities(role, slug, caps)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_verbose_names")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
