"""Each part of a round's stored figures in a column of its own, moved out of the one `figures` object."""

from django.db import migrations, models

PARTS = ("counts", "stats", "verdicts", "sensitivity", "choices", "changes", "attrition")


def split(apps, schema_editor):
    RoundFigures = apps.get_model("surveys", "RoundFigures")
    for stored in RoundFigures.objects.all().iterator(chunk_size=10):
        for part in PARTS:
            setattr(stored, part, stored.figures[part])
        stored.save(update_fields=PARTS)


def join(apps, schema_editor):
    RoundFigures = apps.get_model("surveys", "RoundFigures")
    for stored in RoundFigures.objects.all().iterator(chunk_size=10):
        stored.figures = {part: getattr(stored, part) for part in PARTS}
        stored.save(update_fields=["figures"])


class Migration(migrations.Migration):

    dependencies = [
        ("surveys", "0027_round_figures"),
    ]

    operations = [
        *(
            migrations.AddField(
                model_name="roundfigures",
                name=part,
                field=models.JSONField(default=list if part == "choices" else dict),
                preserve_default=False,
            )
            for part in PARTS
        ),
        migrations.AlterField(model_name="roundfigures", name="figures", field=models.JSONField(null=True)),
        migrations.RunPython(split, join),
        migrations.RemoveField(model_name="roundfigures", name="figures"),
    ]
