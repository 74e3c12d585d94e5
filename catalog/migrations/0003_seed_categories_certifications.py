from django.db import migrations

CATEGORIES = [
    ("frutas", "Frutas"),
    ("verduras", "Verduras"),
    ("tuberculos-y-raices", "Tubérculos y raíces"),
    ("granos", "Granos"),
    ("lacteos", "Lácteos"),
    ("huevos-y-aves", "Huevos y aves"),
    ("pescado", "Pescado"),
    ("cafe", "Café"),
    ("cacao", "Cacao"),
    ("miel", "Miel"),
    ("panela", "Panela"),
    ("procesados", "Procesados"),
    ("vivero-y-plantas", "Vivero y plantas"),
    ("abonos-e-insumos", "Abonos e insumos"),
    ("artesanias", "Artesanías"),
]
CHILDREN = {
    "frutas": [("frutas-amazonicas", "Frutas amazónicas"), ("citricos", "Cítricos")],
    "tuberculos-y-raices": [("yuca", "Yuca"), ("platano", "Plátano")],
    "procesados": [("pulpas", "Pulpas de fruta"), ("harinas", "Harinas")],
    "vivero-y-plantas": [("plantulas", "Plántulas"), ("aromaticas", "Aromáticas")],
}
CERTIFICATIONS = [
    ("organico", "Orgánico"),
    ("bpa-ica", "BPA-ICA"),
    ("invima", "Registro INVIMA"),
    ("comercio-justo", "Comercio justo"),
    ("rainforest", "Rainforest Alliance"),
]


def seed(apps, schema_editor):
    Category = apps.get_model("catalog", "Category")
    Certification = apps.get_model("catalog", "Certification")
    for position, (slug, name) in enumerate(CATEGORIES):
        parent, _ = Category.objects.update_or_create(
            slug=slug, defaults={"name": name, "position": position}
        )
        for child_position, (child_slug, child_name) in enumerate(CHILDREN.get(slug, [])):
            Category.objects.update_or_create(
                slug=child_slug,
                defaults={"name": child_name, "parent": parent, "position": child_position},
            )
    for code, name in CERTIFICATIONS:
        Certification.objects.update_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
