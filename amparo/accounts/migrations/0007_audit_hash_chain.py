"""The audit log's hash chain: two columns, added with an empty default.

No row is updated (the append-only triggers forbid it): events written before this
migration keep an empty hash and are reported as "before the chain" by
`amparo audit verify`; the chain starts at the first event written after it.

On SQLite, adding a NOT NULL column rebuilds the table, and the rebuild drops the
table's triggers; the append-only triggers are put back right after (and again
after the columns are removed when migrating backwards).
"""

from django.conf import settings
from django.db import migrations, models


def reinstall_triggers(apps, schema_editor):
    if settings.TESTING:  # as in 0002: the test runner empties tables between tests
        return
    from importlib import import_module

    triggers = import_module("amparo.accounts.migrations.0002_roles_and_append_only_audit")
    triggers.uninstall_triggers(schema_editor)
    triggers.install_triggers(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_reports_capabilities")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, reinstall_triggers),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(blank=True, default="", editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="row_hash",
            field=models.CharField(blank=True, default="", editable=False, max_length=64),
        ),
        migrations.RunPython(reinstall_triggers, migrations.RunPython.noop),
    ]
