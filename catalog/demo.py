"""Demo products, about forty, each with a generated photo (see `manage.py load_demo`).

Prices are plausible Colombian peso prices (2025) for sales straight from the cooperative.
Photos are drawn with Pillow (a gradient, a few round "fruits" and the product's name);
nothing is downloaded. Every product goes through `product_save`, and its photo through
`strip_metadata` and `product_photo_add`, as an upload from the workspace would.
"""

import textwrap
import unicodedata
from decimal import Decimal
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFont, ImageOps

from catalog.models import Category, Certification, Product
from catalog.services import product_photo_add, product_save
from cooperatives.models import Cooperative
from market.images import strip_metadata
from market.units import Unit

D = Decimal


def months(*numbers: int) -> int:
    """Harvest-month bit mask: bit 0 is January."""
    return sum(1 << (m - 1) for m in numbers)


def _p(coop, slug, name, category, unit, price, stock, colour, description, **extra):
    """One product spec. `stock` None = made to order. Extra: min, step, certs, harvest, producers."""
    return {
        "cooperative": coop,
        "slug": slug,
        "name": name,
        "category": category,
        "unit": unit,
        "price_cop": price,
        "stock": None if stock is None else D(stock),
        "colour": colour,
        "description": description,
        "min_quantity": D(extra.get("min", "1")),
        "quantity_step": D(extra.get("step", "1")),
        "certifications": extra.get("certs", ()),
        "harvest_months": extra.get("harvest", 0),
        "producers": extra.get("producers", 3),
    }


U = Unit
CACAO_HARVEST = months(4, 5, 6, 10, 11, 12)
COFFEE_HARVEST = months(4, 5, 10, 11, 12)

# A data table, kept one product per few lines on purpose.
# fmt: off
PRODUCTS = [
    # COOMULSEPAZ, Anorí: nursery stock, fertilisers and aromatic herbs.
    _p("coomulsepaz", "plantulas-de-cacao-clonal", "Plántulas de cacao clonal", "plantulas", U.UNIDAD,
       3000, 600, (96, 140, 60), "Plántulas injertadas de clones recomendados, listas para trasplante.",
       min="10", step="5", certs=["bpa-ica"], producers=4),
    _p("coomulsepaz", "plantulas-de-aguacate-hass", "Plántulas de aguacate Hass", "plantulas", U.UNIDAD,
       9000, 120, (70, 110, 50), "Aguacate Hass injertado sobre patrón criollo, en bolsa de 2 kg."),
    _p("coomulsepaz", "plantulas-de-limon-tahiti", "Plántulas de limón Tahití", "plantulas", U.UNIDAD,
       7000, 25, (150, 190, 60), "Limón Tahití injertado, de 40 a 50 cm de altura."),
    _p("coomulsepaz", "arboles-nativos-para-reforestar", "Árboles nativos para reforestar", "plantulas",
       U.UNIDAD, 4500, None, (40, 100, 60),
       "Guayacán, cedro y nogal cafetero para cercas vivas y nacimientos de agua. Por encargo.",
       min="10", step="10", producers=5),
    _p("coomulsepaz", "abono-organico-compostado", "Abono orgánico compostado (bulto 40 kg)",
       "abonos-e-insumos", U.BULTO, 38000, 60, (110, 80, 50),
       "Compost de residuos de cosecha y estiércol, madurado tres meses.", certs=["organico"]),
    _p("coomulsepaz", "lombricompost", "Lombricompost (humus de lombriz)", "abonos-e-insumos", U.KG,
       2200, 400, (80, 60, 45), "Humus de lombriz roja californiana, cernido.", min="5", step="5",
       certs=["organico"]),
    _p("coomulsepaz", "biol-abono-liquido", "Biol (abono líquido)", "abonos-e-insumos", U.LITRO,
       6000, 150, (140, 110, 40), "Abono foliar fermentado hecho con materiales de la finca."),
    _p("coomulsepaz", "atado-de-hierbabuena", "Hierbabuena (atado)", "aromaticas", U.ATADO,
       2000, 40, (60, 160, 90), "Atado fresco, cortado el día anterior al mercado."),
    _p("coomulsepaz", "atado-de-cidron-y-toronjil", "Cidrón y toronjil (atado)", "aromaticas", U.ATADO,
       2500, 30, (120, 170, 80), "Para aromática: cidrón y toronjil del vivero."),
    # ASOYUPGUZ, Puerto Guzmán: cassava and what the plant makes of it.
    _p("asoyupguz", "yuca-fresca", "Yuca fresca", "yuca", U.KG, 1800, 800, (200, 170, 120),
       "Yuca dulce arrancada en la semana, parafinada para que llegue fresca.", step="0.5", producers=5),
    _p("asoyupguz", "yuca-por-arroba", "Yuca fresca por arroba", "yuca", U.ARROBA, 20000, 60,
       (190, 160, 110), "La misma yuca, por arroba (12,5 kg), para restaurantes y tiendas."),
    _p("asoyupguz", "casabe", "Casabe (paquete de 4 tortas)", "procesados", U.UNIDAD, 7000, 80,
       (220, 200, 150), "Tortas de casabe horneadas en la planta de yuca.", certs=["invima"]),
    _p("asoyupguz", "almidon-de-yuca", "Almidón de yuca", "harinas", U.LIBRA, 4500, 200,
       (235, 230, 215), "Almidón dulce para pandeyuca y pandebono.", certs=["invima"]),
    _p("asoyupguz", "harina-de-yuca", "Harina de yuca", "harinas", U.KG, 8000, 120, (225, 210, 170),
       "Harina sin gluten, secada al sol y molida en la planta.", step="0.5", certs=["invima"]),
    _p("asoyupguz", "farina", "Fariña", "harinas", U.KG, 9000, None, (210, 180, 110),
       "Fariña tostada a la manera amazónica. Por encargo."),
    _p("asoyupguz", "platano-harton", "Plátano hartón (racimo)", "platano", U.RACIMO, 28000, 25,
       (120, 150, 40), "Racimo de 18 a 22 kg, verde o pintón según pida."),
    # Cacao de Paz del Putumayo, Puerto Asís: cacao, and honey, eggs and panela of the vereda.
    _p("cacao-de-paz-putumayo", "cacao-en-grano", "Cacao en grano seco y fermentado", "cacao", U.KG,
       26000, 300, (110, 60, 35), "Grano fermentado seis días y secado en marquesina.", step="0.5",
       certs=["bpa-ica", "comercio-justo"], harvest=CACAO_HARVEST, producers=5),
    _p("cacao-de-paz-putumayo", "cacao-en-grano-arroba", "Cacao en grano (arroba)", "cacao", U.ARROBA,
       310000, 20, (100, 55, 30), "Por arroba (12,5 kg), para chocolaterías.",
       certs=["bpa-ica", "comercio-justo"], harvest=CACAO_HARVEST),
    _p("cacao-de-paz-putumayo", "chocolate-de-mesa", "Chocolate de mesa (libra)", "cacao", U.LIBRA,
       16000, 90, (80, 40, 25), "Pastillas de cacao puro con un toque de panela.", certs=["invima"]),
    _p("cacao-de-paz-putumayo", "nibs-de-cacao", "Nibs de cacao (libra)", "cacao", U.LIBRA, 22000,
       None, (130, 75, 45), "Grano tostado y partido, para granola y repostería. Por encargo."),
    _p("cacao-de-paz-putumayo", "miel-de-abejas", "Miel de abejas", "miel", U.LITRO, 48000, 40,
       (220, 150, 30), "Miel multifloral de la planta de miel de Puerto Asís.", min="0.5", step="0.5",
       certs=["invima"]),
    _p("cacao-de-paz-putumayo", "huevos-criollos", "Huevos criollos (docena)", "huevos-y-aves",
       U.DOCENA, 9500, 50, (225, 200, 160), "De gallinas en patio, alimentadas con maíz y yuca."),
    _p("cacao-de-paz-putumayo", "pollo-campesino", "Pollo campesino", "huevos-y-aves", U.KG, 15000,
       None, (230, 180, 130), "Pollo de la incubadora comunitaria, criado en la finca. Por encargo.",
       min="2", step="0.5"),
    _p("cacao-de-paz-putumayo", "panela-de-trapiche", "Panela de trapiche (500 g)", "panela",
       U.UNIDAD, 3000, 200, (180, 120, 40), "Panela del trapiche comunitario de Puerto Asís."),
    # Asociación Campesina del Anchicayá, Dagua: mountain coffee, panela and fruit.
    _p("campesinos-anchicaya", "cafe-pergamino-seco", "Café pergamino seco (arroba)", "cafe",
       U.ARROBA, 240000, 30, (170, 140, 90), "Café arábigo de 1.600 m, lavado y secado al sol.",
       certs=["comercio-justo", "rainforest"], harvest=COFFEE_HARVEST, producers=5),
    _p("campesinos-anchicaya", "cafe-tostado-en-grano", "Café tostado en grano (libra)", "cafe",
       U.LIBRA, 22000, 80, (90, 55, 35), "Tostión media, para moler en casa.", certs=["invima"],
       harvest=COFFEE_HARVEST),
    _p("campesinos-anchicaya", "cafe-tostado-y-molido", "Café tostado y molido (libra)", "cafe",
       U.LIBRA, 20000, 100, (70, 45, 30), "Molienda media, para greca o colador.", certs=["invima"]),
    _p("campesinos-anchicaya", "panela-en-bloque", "Panela en bloque (1 kg)", "panela", U.UNIDAD,
       4500, 300, (190, 130, 50), "Panela redonda de caña molida en la vereda.", certs=["invima"]),
    _p("campesinos-anchicaya", "caja-de-panela", "Caja de panela (24 bloques)", "panela", U.UNIDAD,
       95000, 15, (170, 115, 45), "24 bloques de 1 kg, para hoteles y restaurantes.", certs=["invima"]),
    _p("campesinos-anchicaya", "panela-pulverizada", "Panela pulverizada", "panela", U.KG, 7500, None,
       (200, 150, 70), "Panela en polvo para endulzar jugos y café. Por encargo.", step="0.5"),
    _p("campesinos-anchicaya", "lulo", "Lulo", "frutas", U.KG, 6500, 0, (240, 170, 40),
       "Lulo de Castilla para jugo. Agotado hasta la próxima cosecha.", step="0.5"),
    _p("campesinos-anchicaya", "mora-de-castilla", "Mora de Castilla", "frutas", U.KG, 7000, 40,
       (110, 20, 50), "Mora sin espinas, recogida madura.", step="0.5"),
    # Frutos del Guaviare, San José del Guaviare: fish ponds and Amazonian fruit pulps.
    _p("frutos-del-guaviare", "cachama", "Cachama fresca", "pescado", U.KG, 14000, 150, (90, 120, 140),
       "Cachama de estanque, entera y eviscerada.", step="0.5", producers=4),
    _p("frutos-del-guaviare", "bocachico", "Bocachico", "pescado", U.KG, 16000, 60, (120, 140, 150),
       "Bocachico entero, eviscerado y en hielo.", step="0.5", harvest=months(1, 2, 3)),
    _p("frutos-del-guaviare", "pulpa-de-araza", "Pulpa de arazá", "pulpas", U.KG, 12000, 100,
       (230, 200, 40), "Pulpa congelada de la planta de frutas, sin azúcar.", certs=["invima"]),
    _p("frutos-del-guaviare", "pulpa-de-copoazu", "Pulpa de copoazú", "pulpas", U.KG, 16000, 70,
       (235, 225, 190), "Pulpa congelada, para jugos, helados y postres.", certs=["invima"]),
    _p("frutos-del-guaviare", "pulpa-de-borojo", "Pulpa de borojó", "pulpas", U.LITRO, 15000, None,
       (90, 55, 40), "Pulpa de borojó, por encargo.", certs=["invima"]),
    _p("frutos-del-guaviare", "araza-fresco", "Arazá fresco", "frutas-amazonicas", U.KG, 6000, 0,
       (215, 190, 30), "Fruta amazónica ácida y aromática. Agotado hasta enero.", step="0.5",
       harvest=months(1, 2, 3, 4)),
    _p("frutos-del-guaviare", "copoazu-fresco", "Copoazú fresco", "frutas-amazonicas", U.UNIDAD, 6000,
       40, (140, 90, 50), "Fruto entero de 1 a 1,5 kg.", harvest=months(2, 3, 4)),
    _p("frutos-del-guaviare", "canasta-frutas-amazonicas", "Canasta de frutas amazónicas",
       "frutas-amazonicas", U.CANASTA, 45000, None, (200, 110, 40),
       "Arazá, copoazú, cocona y asaí de temporada. Por encargo."),
    # Precooperativa Piscícola de Miranda: pending review, so these are never public.
    _p("piscicola-miranda", "tilapia-roja", "Tilapia roja", "pescado", U.KG, 15000, 80, (200, 90, 80),
       "Tilapia roja de estanque, entera.", step="0.5"),
    _p("piscicola-miranda", "concentrado-para-peces", "Concentrado para peces (bulto 40 kg)",
       "abonos-e-insumos", U.BULTO, 95000, None, (150, 130, 90), "Concentrado de la fábrica comunitaria."),
]
# fmt: on

_FIELDS = (
    "name",
    "description",
    "unit",
    "price_cop",
    "min_quantity",
    "quantity_step",
    "harvest_months",
    "category_id",
)


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the small bitmap font.
        return ImageFont.load_default()


def _plain(text: str) -> str:
    """Accent-free text: Pillow's built-in font has no glyphs for á, é, ñ..."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def photo_bytes(name: str, colour: tuple[int, int, int], *, size=(640, 480)) -> bytes:
    """A 640x480 JPEG: a gradient in the product's colour, round shapes, and its name."""
    width, height = size
    dark = tuple(int(c * 0.45) for c in colour)
    light = tuple(min(255, int(c + (255 - c) * 0.55)) for c in colour)
    gradient = Image.linear_gradient("L").resize(size)
    image = ImageOps.colorize(gradient, black=light, white=dark)
    draw = ImageDraw.Draw(image)
    seed = sum(map(ord, name))
    for i in range(5):  # a few "fruits", placed from the name so the photo is stable
        r = 40 + (seed * (i + 3)) % 50
        x = 100 + (seed * (i + 7) * 37) % (width - 200)
        y = 150 + (seed * (i + 5) * 53) % (height - 340)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour, outline=dark, width=4)
    draw.rectangle((0, height - 150, width, height), fill=dark)
    font = _font(44)
    lines = textwrap.wrap(_plain(name), width=24)[:2]
    for n, line in enumerate(lines):
        draw.text((32, height - 130 + n * 54), line, fill=(255, 255, 255), font=font)
    draw.text((32, 24), "Minga - foto de demostracion", fill=dark, font=_font(22))
    out = BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def _product(spec: dict, cooperative, categories, certifications, producers) -> tuple[Product, bool]:
    values = {
        "name": spec["name"],
        "description": spec["description"],
        "unit": spec["unit"],
        "price_cop": spec["price_cop"],
        "min_quantity": spec["min_quantity"],
        "quantity_step": spec["quantity_step"],
        "stock": spec["stock"],
        "harvest_months": spec["harvest_months"],
        "category_id": categories[spec["category"]].pk,
    }
    certs = [certifications[code] for code in spec["certifications"]]
    product = Product.objects.filter(cooperative=cooperative, slug=spec["slug"]).first()
    created = product is None
    if created:
        product = Product(cooperative=cooperative, slug=spec["slug"])
    changed = created or any(getattr(product, f) != values[f] for f in _FIELDS)
    changed = changed or {c.pk for c in product.certifications.all()} != {c.pk for c in certs}
    changed = changed or {p.pk for p in product.producers.all()} != {p.pk for p in producers}
    if changed:
        for field, value in values.items():
            # The stock is set when the product is made; later it is what sales left of the
            # harvest (the demo's own market orders took some): a re-run must not refill it.
            if field != "stock" or created:
                setattr(product, field, value)
        product_save(product=product, certifications=certs, producers=producers)
    return product, created


def load(*, stdout) -> None:
    categories = {c.slug: c for c in Category.objects.all()}
    certifications = {c.code: c for c in Certification.objects.all()}
    cooperatives = {
        c.slug: c for c in Cooperative.objects.filter(slug__in={p["cooperative"] for p in PRODUCTS})
    }
    families = {
        slug: list(coop.producers.filter(is_active=True).order_by("name"))
        for slug, coop in cooperatives.items()
    }
    created = photos = 0
    for index, spec in enumerate(PRODUCTS):
        cooperative = cooperatives[spec["cooperative"]]
        pool = families[spec["cooperative"]]
        chosen = [pool[(index + j) % len(pool)] for j in range(min(spec["producers"], len(pool)))]
        product, is_new = _product(spec, cooperative, categories, certifications, chosen)
        created += is_new
        if not product.photos.exists():
            raw = SimpleUploadedFile(
                f"{spec['slug']}.jpg", photo_bytes(spec["name"], spec["colour"]), content_type="image/jpeg"
            )
            product_photo_add(product=product, file=strip_metadata(raw))
            photos += 1
    stdout.write(f"  {len(PRODUCTS)} products ({created} new), {photos} photos made")
