"""The union's steps become data (ActionStep, per network, with default deadlines);
each UnionAction points at its step instead of holding a fixed choice."""

import django.db.models.deletion
from django.db import migrations, models

from amparo.audits import defaults


def seed(apps, schema_editor):
    step = apps.get_model("audits", "ActionStep")
    for network in apps.get_model("accounts", "Network").objects.all():
        defaults.install_steps(network, step)
    action = apps.get_model("audits", "UnionAction")
    for row in action.objects.select_related("audit").iterator():
        row.kind = step.objects.get(network_id=row.audit.network_id, slug=row.step)
        row.save(update_fields=["kind"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("audits", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ActionStep",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("slug", models.SlugField(max_length=40)),
                ("name", models.JSONField(default=dict)),
                ("days", models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="default deadline (business days after the Notice of Inspection)")),
                ("opens_with_audit", models.BooleanField(default=False, verbose_name="added when an audit opens")),
                ("position", models.PositiveSmallIntegerField(default=100, verbose_name="position")),
                ("is_active", models.BooleanField(default=True, verbose_name="in use")),
                ("network", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="action_steps", to="accounts.network")),
            ],
            options={
                "verbose_name": "union step",
                "ordering": ["position", "slug"],
                "constraints": [models.UniqueConstraint(fields=("network", "slug"), name="action_step_slug_once")],
            },
        ),
        migrations.AddField(
            model_name="unionaction",
            name="kind",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="audits.actionstep"),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RemoveField(model_name="unionaction", name="step"),
        migrations.RenameField(model_name="unionaction", old_name="kind", new_name="step"),
        migrations.AlterField(
            model_name="unionaction",
            name="step",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="audits.actionstep"),
        ),
    ]  # fmt: skip
