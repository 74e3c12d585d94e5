from django.db import migrations


def create_english(apps, schema_editor):
    """English is the second content language (settings.WAGTAIL_CONTENT_LANGUAGES)."""
    Locale = apps.get_model("wagtailcore", "Locale")
    Locale.objects.get_or_create(language_code="en")


def remove_english(apps, schema_editor):
    Locale = apps.get_model("wagtailcore", "Locale")
    Page = apps.get_model("wagtailcore", "Page")
    if not Page.objects.filter(locale__language_code="en").exists():
        Locale.objects.filter(language_code="en").delete()


class Migration(migrations.Migration):
    dependencies = [("cms", "0004_market_builders_permissions")]

    operations = [migrations.RunPython(create_english, remove_english)]
