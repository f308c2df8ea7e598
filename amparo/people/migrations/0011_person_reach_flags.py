"""Reachability flags on the person (people/reach.py), filled for everyone already there."""

from django.db import migrations, models


def backfill(apps, schema_editor):
    from amparo.people.reach import reach_truth

    Person = apps.get_model("people", "Person")
    ids = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    truth = reach_truth(apps.get_model("people", "PersonPhone"))
    for start in range(0, len(ids), 500):
        Person.objects.filter(pk__in=ids[start : start + 500]).update(**truth)


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0010_export_request_background_file"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="reach_sms",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddField(
            model_name="person",
            name="reach_voice",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddField(
            model_name="person",
            name="reach_email",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
