"""Factories for the whole suite. Products go through the catalogue service, as in the app."""

import secrets
from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image as PILImage

from catalog import services as catalog_services
from catalog.models import Category, Product, ProductPhoto
from cooperatives.models import (
    Cooperative,
    Invitation,
    Membership,
    MembershipRole,
    Producer,
    VerificationStatus,
)
from market.images import strip_metadata
from market.models import Municipality, User

DEMO_PASSWORD = "clave-de-prueba-123"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"persona{n}@example.org")
    first_name = factory.Faker("first_name", locale="es_CO")
    last_name = factory.Faker("last_name", locale="es_CO")

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or DEMO_PASSWORD)
        if create:
            obj.save(update_fields=["password"])
            # allauth requires a verified address before login.
            obj.emailaddress_set.create(email=obj.email, verified=True, primary=True)


class CooperativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cooperative

    name = factory.Sequence(lambda n: f"Cooperativa {n}")
    slug = factory.Sequence(lambda n: f"cooperativa-{n}")
    municipality = factory.LazyFunction(lambda: Municipality.objects.get(code="05040"))
    verification_status = VerificationStatus.VERIFIED
    story = "Familias campesinas que sembraron futuro."


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    cooperative = factory.SubFactory(CooperativeFactory)
    role = MembershipRole.MANAGER


class ProducerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Producer

    cooperative = factory.SubFactory(CooperativeFactory)
    name = factory.Faker("name", locale="es_CO")
    village = "Vereda La Esperanza"


def make_product(cooperative=None, **fields) -> Product:
    """A product saved through `product_save`, so its slug and search text are real."""
    cooperative = cooperative or CooperativeFactory()
    defaults = {
        "name": "Yuca fresca",
        "category": Category.objects.get(slug="tuberculos-y-raices"),
        "unit": "kg",
        "price_cop": 2500,
        "min_quantity": Decimal("1"),
        "quantity_step": Decimal("0.5"),
        "stock": Decimal("100"),
    }
    defaults.update(fields)
    return catalog_services.product_save(product=Product(cooperative=cooperative, **defaults))


def image_bytes(fmt="JPEG", size=(64, 48), color=(200, 120, 40), **save_kwargs) -> bytes:
    buffer = BytesIO()
    PILImage.new("RGB", size, color).save(buffer, format=fmt, **save_kwargs)
    return buffer.getvalue()


def image_upload(name="foto.jpg", fmt="JPEG", **kwargs) -> SimpleUploadedFile:
    content_type = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}[fmt]
    return SimpleUploadedFile(name, image_bytes(fmt, **kwargs), content_type=content_type)


class InvitationFactory(factory.django.DjangoModelFactory):
    """A pending invitation. Created directly, so no e-mail is queued."""

    class Meta:
        model = Invitation

    cooperative = factory.SubFactory(CooperativeFactory)
    email = factory.Sequence(lambda n: f"invitada{n}@example.org")
    role = MembershipRole.MEMBER
    token = factory.LazyFunction(lambda: secrets.token_urlsafe(32))
    created_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda o: o.created_at + timedelta(days=14))


def make_photo(product: Product, **image_kwargs) -> ProductPhoto:
    """A product photo stored the way the app stores one: cleaned, then added by the service."""
    return catalog_services.product_photo_add(
        product=product, file=strip_metadata(image_upload(**image_kwargs))
    )
