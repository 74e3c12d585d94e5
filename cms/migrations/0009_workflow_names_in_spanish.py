"""The moderation workflow and its task are data, shown to Market Builders as they are named
("Enviar a Moderators approval"): give them Spanish names."""

from django.db import migrations

RENAMES = {"Moderators approval": "Aprobación del equipo de Minga"}


def to_spanish(apps, schema_editor):
    for model in ("Workflow", "Task"):
        Model = apps.get_model("wagtailcore", model)
        for old, new in RENAMES.items():
            Model.objects.filter(name=old).update(name=new)


def to_english(apps, schema_editor):
    for model in ("Workflow", "Task"):
        Model = apps.get_model("wagtailcore", model)
        for old, new in RENAMES.items():
            Model.objects.filter(name=new).update(name=old)


class Migration(migrations.Migration):
    dependencies = [("cms", "0008_market_watch"), ("wagtailcore", "0001_initial")]

    operations = [migrations.RunPython(to_spanish, to_english)]
