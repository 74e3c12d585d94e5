"""Demo cooperatives, their memberships and producer families (see `manage.py load_demo`).

Five verified cooperatives in municipalities of the programme reports in CONTEXT.md, and one
still pending review (it must never show in public pages). COOMULSEPAZ and ASOYUPGUZ are
named in the reports; the other names, every NIT, phone number and person are invented.
About 80% of producers are women, as in the reports (1,545 women of 1,968 participants);
gender is recorded only for producers who consent to aggregate reports.
"""

from cooperatives.models import (
    Cooperative,
    LegalForm,
    Membership,
    MembershipRole,
    Producer,
    VerificationStatus,
)
from cooperatives.services import cooperative_verify, producer_save
from market.demo import demo_user, upsert
from market.models import Municipality
from market.nit import nit_check_digit

F, M = "female", "male"


def _nit(body: str) -> str:
    return f"{body}-{nit_check_digit(body)}"


# slug: fields. Phone numbers are invented (+57 300 555 ….).
COOPERATIVES = {
    "coomulsepaz": {
        "name": "COOMULSEPAZ",
        "legal_form": LegalForm.COOPERATIVE,
        "nit": _nit("901412873"),
        "municipality": "05040",  # Anorí, Antioquia
        "known_for": "Plántulas, abono orgánico, frutales y aromáticas",
        "story": (
            "Cerca de 40 mujeres de Anorí, certificadas como viveristas, fundaron esta cooperativa "
            "multiactiva para sostener el vivero municipal, cuya infraestructura recuperaron durante "
            "el Plan de Contingencia para familias que dejaron la coca. Producen plántulas de "
            "frutales, aromáticas y árboles nativos para reforestar, y venden abonos naturales a los "
            "productores de la zona."
        ),
        "phone": "+573005550201",
        "whatsapp": "+573005550201",
        "email": "coomulsepaz@minga.co",
        "verified": True,
    },
    "asoyupguz": {
        "name": "ASOYUPGUZ",
        "legal_form": LegalForm.ASSOCIATION,
        "nit": _nit("900987614"),
        "municipality": "86571",  # Puerto Guzmán, Putumayo
        "known_for": "Yuca fresca, almidón, harina de yuca y casabe",
        "story": (
            "Familias yuqueras de Puerto Guzmán, en el Putumayo, que cambiaron la coca por la yuca. "
            "En su planta de procesamiento, mejorada con nueva tecnología, convierten la cosecha en "
            "almidón, harina y casabe, y la venden sin intermediarios."
        ),
        "phone": "+573005550202",
        "whatsapp": "+573005550202",
        "email": "",
        "verified": True,
    },
    "cacao-de-paz-putumayo": {
        "name": "Cacao de Paz del Putumayo",
        "legal_form": LegalForm.COOPERATIVE,
        "nit": _nit("901235408"),
        "municipality": "86568",  # Puerto Asís, Putumayo
        "known_for": "Cacao en grano, chocolate de mesa, miel y huevos criollos",
        "story": (
            "Cacaoteras y cacaoteros de Puerto Asís que siembran cacao en sistemas agroforestales y "
            "se capacitan en buenas prácticas agrícolas. Con el trapiche, la incubadora de pollos y "
            "la planta de miel de la vereda, al cacao se suman panela, huevos criollos y miel de "
            "abejas. Las mujeres llevan buena parte de la cadena, de la finca al chocolate de mesa."
        ),
        "phone": "+573005550203",
        "whatsapp": "+573005550203",
        "email": "",
        "verified": True,
    },
    "campesinos-anchicaya": {
        "name": "Asociación Campesina del Anchicayá",
        "legal_form": LegalForm.ASSOCIATION,
        "nit": _nit("900664219"),
        "municipality": "76233",  # Dagua, Valle del Cauca
        "known_for": "Café pergamino y tostado, panela, lulo y mora",
        "story": (
            "Familias de la cuenca del río Anchicayá, en Dagua, varias de ellas inscritas en el PNIS "
            "y vecinas del Parque Nacional Farallones de Cali. Cultivan café de montaña y muelen caña "
            "para panela, que reúnen en el centro de acopio de Dagua. Junto con otras comercializadoras "
            "del Valle y del Cauca buscan llegar a hoteles y restaurantes de Cali sin intermediarios."
        ),
        "phone": "+573005550204",
        "whatsapp": "+573005550204",
        "email": "",
        "verified": True,
    },
    "frutos-del-guaviare": {
        "name": "Frutos del Guaviare",
        "legal_form": LegalForm.COOPERATIVE,
        "nit": _nit("901318562"),
        "municipality": "95001",  # San José del Guaviare
        "known_for": "Cachama, bocachico y pulpas de arazá, copoazú y borojó",
        "story": (
            "Piscicultoras y fruticultoras de San José del Guaviare que crían cachama y bocachico y "
            "transforman frutas amazónicas en su planta de pulpas. Durante la pandemia organizaron "
            "mercados campesinos virtuales y bioseguros, con entregas escalonadas para que nadie se "
            "aglomerara."
        ),
        "phone": "+573005550205",
        "whatsapp": "+573005550205",
        "email": "",
        "verified": True,
    },
    # Registered but not yet reviewed: nothing of it may be public.
    "piscicola-miranda": {
        "name": "Precooperativa Piscícola de Miranda",
        "legal_form": LegalForm.PRECOOPERATIVE,
        "nit": "",
        "municipality": "19455",  # Miranda, Cauca
        "known_for": "Tilapia roja y concentrado",
        "story": (
            "Familias de Miranda, en el Cauca, que levantaron un estanque piscícola y una pequeña "
            "fábrica de concentrado. Su registro en Minga está en revisión."
        ),
        "phone": "+573005550206",
        "whatsapp": "",
        "email": "",
        "verified": False,
    },
}

# e-mail: (cooperative slug, role)
MEMBERSHIPS = {
    "gestora.coomulsepaz@minga.co": ("coomulsepaz", MembershipRole.MANAGER),
    "socia.coomulsepaz@minga.co": ("coomulsepaz", MembershipRole.MEMBER),
    "gestor.asoyupguz@minga.co": ("asoyupguz", MembershipRole.MANAGER),
    "gestora.cacaopaz@minga.co": ("cacao-de-paz-putumayo", MembershipRole.MANAGER),
    "gestor.anchicaya@minga.co": ("campesinos-anchicaya", MembershipRole.MANAGER),
    "gestora.guaviare@minga.co": ("frutos-del-guaviare", MembershipRole.MANAGER),
}

# cooperative slug: [(name, vereda, gender, consents, account e-mail or "")]
PRODUCERS = {
    "coomulsepaz": [
        ("Luz Marina Zapata Úsuga", "La Plancha", F, True, "gestora.coomulsepaz@minga.co"),
        ("Rosalba Úsuga Higuita", "Liberia", F, True, "socia.coomulsepaz@minga.co"),
        ("Gladys Elena Cardona", "Charcón", F, True, ""),
        ("María Nelly Durango", "El Roble", F, True, ""),
        ("Bertha Inés Graciano", "Madre Seca", F, True, ""),
        ("Diana Patricia Tuberquia", "Las Nieves", F, True, ""),
        ("Yuliana Andrea Rúa", "La Plancha", F, True, ""),
        ("Ofelia de Jesús Montoya", "Montefrío", F, False, ""),
        ("Carmen Emilia Vásquez", "Liberia", F, True, ""),
        ("Marleny Sepúlveda", "Charcón", F, True, ""),
    ],
    "asoyupguz": [
        ("Nubia Esperanza Cuéllar", "El Cedro", F, True, ""),
        ("Jhon Fredy Muñoz Castillo", "La Libertad", M, True, ""),
        ("Aurora Chindoy", "Galilea", F, True, ""),
        ("Luis Alberto Mavisoy", "Santa Lucía", M, True, ""),
        ("Flor Alba Jamioy", "Mayoyoque", F, True, ""),
        ("Sandra Lorena Ortiz", "El Jauno", F, True, ""),
        ("Yesica Paola Díaz", "La Libertad", F, True, ""),
        ("Orlando Guerrero", "Galilea", M, False, ""),
    ],
    "cacao-de-paz-putumayo": [
        ("Yaneth Rosero Benavides", "La Carmelita", F, True, "gestora.cacaopaz@minga.co"),
        ("Martha Lucía Quenguan", "Alea", F, True, ""),
        ("Ana Julia Cabrera", "Santana", F, True, ""),
        ("Leidy Johana Burbano", "Comandante", F, True, ""),
        ("Wilson Ferney Ceballos", "La Cabaña", M, True, ""),
        ("Doris Amparo Erazo", "Puerto Vega", F, True, ""),
        ("Edilma Tapia", "Teteyé", F, True, ""),
        ("Nelson Enrique Palacios", "Santana", M, True, ""),
        ("Claudia Marcela Moreno", "La Carmelita", F, False, ""),
    ],
    "campesinos-anchicaya": [
        ("Hernán Valencia Ocoró", "El Queremal", M, True, "gestor.anchicaya@minga.co"),
        ("María Eugenia Caicedo", "La Cascada", F, True, ""),
        ("Luz Dary Mosquera", "Borrero Ayerbe", F, True, ""),
        ("Jorge Eliécer Riascos", "San Bernardo", M, True, ""),
        ("Amparo Ramírez Lozano", "El Carmen", F, True, ""),
        ("Francy Elena Angulo", "La Cascada", F, True, ""),
        ("Ruby Stella Hurtado", "Atuncela", F, True, ""),
        ("José Arley Gómez", "El Queremal", M, False, ""),
    ],
    "frutos-del-guaviare": [
        ("Deisy Johana Parra Rojas", "El Capricho", F, True, "gestora.guaviare@minga.co"),
        ("Blanca Nieves Agudelo", "Charras", F, True, ""),
        ("Milena Cristancho", "La Carpa", F, True, ""),
        ("Omaira Pinzón", "Guacamayas", F, True, ""),
        ("Luz Adriana Becerra", "Caño Blanco", F, True, ""),
        ("Edwin Alexis Suárez", "Puerto Arturo", M, True, ""),
        ("Nidia Castro", "El Capricho", F, True, ""),
        ("Jenny Marcela Rubio", "Charras", F, True, ""),
        ("Rubiela Sánchez", "La Carpa", F, False, ""),
    ],
    "piscicola-miranda": [
        ("Aleida Campo", "El Ortigal", F, True, ""),
        ("Gustavo Adolfo Mina", "Monterredondo", M, True, ""),
        ("Yolanda Ipia", "La Lindosa", F, True, ""),
        ("Ermilda Lucumí", "El Cabildo", F, True, ""),
        ("Harold Banguero", "Tierradura", M, True, ""),
        ("Marisol Carabalí", "El Ortigal", F, False, ""),
    ],
}


def _cooperative(slug: str, spec: dict) -> Cooperative:
    values = {k: v for k, v in spec.items() if k not in ("municipality", "verified")}
    values["municipality"] = Municipality.objects.get(code=spec["municipality"])
    cooperative, _ = upsert(Cooperative, lookup={"slug": slug}, values=values)
    wanted = VerificationStatus.VERIFIED if spec["verified"] else VerificationStatus.PENDING
    if cooperative.verification_status != wanted:
        cooperative_verify(cooperative=cooperative, status=wanted)
    return cooperative


def load(*, stdout) -> None:
    cooperatives = {slug: _cooperative(slug, spec) for slug, spec in COOPERATIVES.items()}
    for email, (slug, role) in MEMBERSHIPS.items():
        upsert(
            Membership,
            lookup={"user": demo_user(email), "cooperative": cooperatives[slug]},
            values={"role": role},
        )
    count = 0
    for slug, rows in PRODUCERS.items():
        for name, village, gender, consents, email in rows:
            upsert(
                Producer,
                lookup={"cooperative": cooperatives[slug], "name": name},
                values={
                    "village": village,
                    # Gender is personal data: recorded only with consent.
                    "gender": gender if consents else "",
                    "consents_to_aggregate": consents,
                    "user": demo_user(email) if email else None,
                    "is_active": True,
                },
                save=lambda producer: producer_save(producer=producer),
            )
            count += 1
    stdout.write(f"  {len(cooperatives)} cooperatives, {len(MEMBERSHIPS)} memberships, {count} producers")
