"""Demo content for the home page (see `manage.py load_demo`).

The text is published as a new Wagtail revision, so the page history and the editor show
it, and only when it differs from what is live: a second run changes nothing.
"""

from cms.models import HomePage

INTRO = (
    "Compre directo a las cooperativas campesinas que cambiaron la coca por cacao, café, yuca, "
    "pescado y frutas. Sin intermediarios: el precio justo se queda con las familias."
)
HOW_IT_WORKS = (
    "<ol>"
    "<li>Las cooperativas publican lo que cosechan sus familias, por kilo, libra, arroba o docena.</li>"
    "<li>Usted pide a una o varias cooperativas en un mismo pedido.</li>"
    "<li>Recoge el día de mercado en su franja horaria, o lo recibe en casa. "
    "Si el peso entregado cambia, la cuenta también.</li>"
    "</ol>"
    "<p>Los mercados campesinos los organizan las <b>Constructoras de Mercado</b>, "
    "una red de mujeres de los municipios productores.</p>"
)


def load(*, stdout) -> None:
    page = HomePage.objects.first()
    if page is None:
        stdout.write("  no home page (run migrate first); skipped")
        return
    if page.intro == INTRO and page.how_it_works == HOW_IT_WORKS:
        stdout.write("  home page already up to date")
        return
    page.intro = INTRO
    page.how_it_works = HOW_IT_WORKS
    page.save_revision().publish()
    stdout.write("  home page text published")
