from django.conf import settings
from django.db import migrations

from amparo.accounts.roles import sync_default_roles

TRIGGERS = {
    "sqlite": [
        """CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON accounts_auditevent
           BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
        """CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON accounts_auditevent
           BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    ],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION amparo_audit_append_only() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'the audit log is append-only'; END; $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON accounts_auditevent
           FOR EACH ROW EXECUTE FUNCTION amparo_audit_append_only()""",
        """CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON accounts_auditevent
           FOR EACH STATEMENT EXECUTE FUNCTION amparo_audit_append_only()""",
    ],
}
DROP = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_no_update", "DROP TRIGGER IF EXISTS audit_no_delete"],
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_append_only ON accounts_auditevent",
        "DROP TRIGGER IF EXISTS audit_no_truncate ON accounts_auditevent",
        "DROP FUNCTION IF EXISTS amparo_audit_append_only()",
    ],
}


def add_triggers(apps, schema_editor):
    # The test runner empties every table between tests, which these triggers forbid;
    # the test of the triggers installs them itself (accounts/tests/test_audit.py).
    if settings.TESTING:
        return
    install_triggers(schema_editor)


def install_triggers(schema_editor):
    for sql in TRIGGERS.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def drop_triggers(apps, schema_editor):
    uninstall_triggers(schema_editor)


def uninstall_triggers(schema_editor):
    for sql in DROP.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def roles(apps, schema_editor):
    sync_default_roles(apps.get_model("accounts", "Role"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.RunPython(roles, migrations.RunPython.noop),
        migrations.RunPython(add_triggers, drop_triggers),
    ]
