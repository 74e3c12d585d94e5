"""A cooperative manager's day on a 390 px phone: she opens her workspace on the orders
waiting for her, confirms one from there, rejects another with a reason, and downloads the
packing list as a PDF. No JavaScript of the site's is needed (there is none)."""

import re
from decimal import Decimal

from playwright.sync_api import expect

from catalog.models import Category
from cooperatives.models import MembershipRole
from orders.models import Fulfilment, FulfilmentStatus, OrderEvent
from tests.e2e.helpers import fits_the_phone, sign_in
from tests.factories import CooperativeFactory, MembershipFactory, UserFactory, make_product
from tests.orders.factories import place_order


def test_manager_confirms_rejects_and_downloads_the_packing_list_on_a_phone(phone, tmp_path):
    coomulsepaz = CooperativeFactory(name="COOMULSEPAZ", slug="coomulsepaz")
    manager = MembershipFactory(
        cooperative=coomulsepaz, role=MembershipRole.MANAGER, user__first_name="Gestora"
    ).user
    seedlings = make_product(
        coomulsepaz,
        name="Plántulas de cacao",
        category=Category.objects.get(slug="cacao"),
        unit="unidad",
        price_cop=2500,
        stock=Decimal("400"),
        min_quantity=Decimal("10"),
        quantity_step=Decimal("10"),
    )
    fertiliser = make_product(coomulsepaz, name="Abono orgánico", price_cop=1800, stock=Decimal("300"))
    buyer = UserFactory(first_name="Marleny", last_name="Sepúlveda")
    to_confirm = place_order(buyer, [(seedlings, "50")])
    to_reject = place_order(buyer, [(fertiliser, "25,5")], notes="Para la huerta escolar")

    sign_in(phone, manager)
    phone.locator('header nav a[href="/espacio/"]').click()
    phone.wait_for_url(re.compile(r"/espacio/coomulsepaz/$"))

    # The workspace opens on what waits for her, with counts.
    expect(phone.locator("h1")).to_have_text("Pedidos que la esperan")
    counts = phone.locator("ul.counts li")
    expect(counts.nth(0)).to_contain_text("2")
    expect(counts.nth(0)).to_contain_text("nuevos, por confirmar")
    assert fits_the_phone(phone)

    # She confirms the first order right there, and stays on the same screen.
    row = phone.locator("tbody tr", has=phone.get_by_role("link", name=to_confirm.number))
    with phone.expect_navigation():
        row.get_by_role("button", name=re.compile("Confirmar")).click()
    phone.wait_for_url(re.compile(r"/espacio/coomulsepaz/$"))
    expect(phone.locator("ul.messages")).to_contain_text("Pedido confirmado")
    expect(counts.nth(0)).to_contain_text("1")
    expect(counts.nth(1)).to_contain_text("1")
    assert Fulfilment.objects.get(order=to_confirm).status == FulfilmentStatus.CONFIRMED

    # The other one she cannot supply: rejecting is folded away and asks for a reason.
    phone.get_by_role("link", name=to_reject.number).click()
    phone.wait_for_url(re.compile(r"/pedidos/\d+/$"))
    reason = phone.locator('details#reject input[name="reason"]')
    expect(reason).to_be_hidden()
    phone.locator("details#reject summary").click()
    expect(reason).to_be_visible()
    reason.fill("Se nos acabó el abono de esta cosecha")
    with phone.expect_navigation():
        phone.locator("details#reject button.danger").click()
    expect(phone.locator("ul.messages")).to_contain_text("Pedido rechazado")
    rejected = Fulfilment.objects.get(order=to_reject)
    assert rejected.status == FulfilmentStatus.REJECTED
    assert OrderEvent.objects.filter(fulfilment=rejected).latest("pk").reason == (
        "Se nos acabó el abono de esta cosecha"
    )
    assert fits_the_phone(phone)

    # Back to the confirmed one: its packing list, printable and as a PDF.
    phone.locator('nav.tabs a[href="/espacio/coomulsepaz/"]').click()
    phone.get_by_role("link", name="Todos los pedidos").click()
    phone.get_by_role("link", name=to_confirm.number).click()
    phone.get_by_role("link", name="Lista de empaque").click()
    phone.wait_for_url(re.compile(r"/empaque/$"))
    expect(phone.locator("main table")).to_contain_text("Plántulas de cacao")
    assert fits_the_phone(phone)
    with phone.expect_download() as download_info:
        phone.get_by_role("link", name="Descargar PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"empaque-{to_confirm.number}-coomulsepaz.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
