import json
from pathlib import Path

from django.db import migrations

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "divipola.json"


def load(apps, schema_editor):
    Department = apps.get_model("market", "Department")
    Municipality = apps.get_model("market", "Municipality")
    Group = apps.get_model("auth", "Group")
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    for d in data["departments"]:
        Department.objects.update_or_create(code=d["code"], defaults={"name": d["name"]})
    existing = set(Municipality.objects.values_list("code", flat=True))
    Municipality.objects.bulk_create(
        [
            Municipality(code=m["code"], name=m["name"], department_id=m["department"])
            for m in data["municipalities"]
            if m["code"] not in existing
        ],
        batch_size=500,
    )
    Group.objects.get_or_create(name="Market builders")


class Migration(migrations.Migration):
    dependencies = [("market", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
