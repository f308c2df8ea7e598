"""Reachability flags on the person (people/reach.py), filled for everyone already there."""

from django.db import migrations, models
from django.db.models import BooleanField, Case, Exists, OuterRef, Q, Value, When


def _truth(phones):
    """The rule of people/reach.py as it stood when the flags were added (frozen here:
    a data migration must not follow later changes to the live module)."""
    live = phones.objects.filter(person=OuterRef("pk"), dead_at__isnull=True)
    have = {
        "sms": Exists(live.filter(sms_ok=True)),
        "voice": Exists(live.filter(voice_ok=True)),
        "email": Q(email_index__isnull=False),
    }
    return {
        f"reach_{channel}": Case(
            When(
                Q(opted_out_at__isnull=True)
                & ~Q(opted_out_channels__contains=f" {channel} ")
                & held,
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        )
        for channel, held in have.items()
    }


def backfill(apps, schema_editor):
    Person = apps.get_model("people", "Person")
    ids = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    truth = _truth(apps.get_model("people", "PersonPhone"))
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
