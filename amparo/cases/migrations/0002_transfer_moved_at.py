"""A transfer is kept with its date and time (walk 9), like counsel's."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [
        migrations.RenameField(model_name="casetransfer", old_name="moved_on", new_name="moved_at"),
        migrations.AlterField(
            model_name="casetransfer",
            name="moved_at",
            field=models.DateTimeField(verbose_name="moved at"),
        ),
        migrations.AlterModelOptions(
            name="casetransfer",
            options={"ordering": ["moved_at", "id"], "verbose_name": "transfer"},
        ),
    ]
