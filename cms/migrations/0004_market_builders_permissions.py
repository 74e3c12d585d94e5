"""What the "Market builders" group may do in the Wagtail admin.

- open the admin (`wagtailadmin.access_admin`);
- "add" on every market index: create markets under it and edit the markets they own,
  nothing else in the page tree. No "publish": a builder submits her market to the
  "Moderators approval" workflow (Wagtail's default, assigned here to the market index
  too) and staff in the Moderators group publish it;
- add and choose images in the root collection (a market's hero image);
- add, change and view pickup points (a snippet reused across markets).

Creates the market index ("Mercados campesinos", /mercados/) under the home page when
the site has none. Idempotent; reversing it changes nothing.
"""

from django.db import migrations

GROUP = "Market builders"
WORKFLOW = "Moderators approval"
STEPLEN = 4
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _permission(apps, app_label, model, codename, name):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _created = ContentType.objects.get_or_create(app_label=app_label, model=model)
    permission, _created = Permission.objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": name}
    )
    return permission


def _child_path(parent, last_child_path):
    """The next tree path under `parent` (treebeard's materialised path, base 36)."""
    if last_child_path is None:
        return parent.path + "0001"
    number, step = 0, last_child_path[-STEPLEN:]
    for char in step:
        number = number * len(ALPHABET) + ALPHABET.index(char)
    number += 1
    digits = ""
    while number:
        number, rest = divmod(number, len(ALPHABET))
        digits = ALPHABET[rest] + digits
    return parent.path + digits.rjust(STEPLEN, "0")


def _create_market_index(apps):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Page = apps.get_model("wagtailcore", "Page")
    Site = apps.get_model("wagtailcore", "Site")
    MarketIndexPage = apps.get_model("cms", "MarketIndexPage")

    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    home = site.root_page if site else Page.objects.filter(depth=2).order_by("path").first()
    if home is None:
        return
    children = Page.objects.filter(path__startswith=home.path, depth=home.depth + 1)
    slug = "mercados" if not children.filter(slug="mercados").exists() else "mercados-campesinos"
    last = children.order_by("-path").values_list("path", flat=True).first()
    content_type, _created = ContentType.objects.get_or_create(app_label="cms", model="marketindexpage")
    MarketIndexPage.objects.create(
        title="Mercados campesinos",
        draft_title="Mercados campesinos",
        slug=slug,
        content_type=content_type,
        path=_child_path(home, last),
        depth=home.depth + 1,
        numchild=0,
        url_path=f"{home.url_path}{slug}/",
        locale_id=home.locale_id,
        live=True,
        intro="Mercados campesinos virtuales: pida en línea y recoja el día de mercado.",
    )
    Page.objects.filter(pk=home.pk).update(numchild=children.count())


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Collection = apps.get_model("wagtailcore", "Collection")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    MarketIndexPage = apps.get_model("cms", "MarketIndexPage")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")

    group, _created = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        _permission(apps, "wagtailadmin", "admin", "access_admin", "Can access Wagtail admin"),
        _permission(apps, "cms", "pickuppoint", "add_pickuppoint", "Can add pickup point"),
        _permission(apps, "cms", "pickuppoint", "change_pickuppoint", "Can change pickup point"),
        _permission(apps, "cms", "pickuppoint", "view_pickuppoint", "Can view pickup point"),
    )

    if not MarketIndexPage.objects.exists():
        _create_market_index(apps)
    add_page = _permission(apps, "wagtailcore", "page", "add_page", "Can add page")
    workflow = Workflow.objects.filter(name=WORKFLOW, active=True).first()
    for index in MarketIndexPage.objects.all():
        GroupPagePermission.objects.get_or_create(group=group, page_id=index.pk, permission=add_page)
        if workflow is not None and not WorkflowPage.objects.filter(page_id=index.pk).exists():
            WorkflowPage.objects.create(page_id=index.pk, workflow=workflow)

    root = Collection.objects.filter(depth=1).first()
    if root is not None:
        for codename, name in (("add_image", "Can add image"), ("choose_image", "Can choose image")):
            permission = _permission(apps, "wagtailimages", "image", codename, name)
            GroupCollectionPermission.objects.get_or_create(
                group=group, collection=root, permission=permission
            )


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0003_markets"),
        ("market", "0002_geography_and_groups"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailimages", "0027_image_description"),
    ]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
