"""Minga's WhatsApp message templates, as submitted for approval to WhatsApp (through Twilio's
Content API). A business may write first to a person on WhatsApp only with an approved
template; each deployment submits these and sets their content ids (HX…) in
TWILIO_CONTENT_SIDS (a JSON object: template name → id). A template with no id is not sent on
WhatsApp: the message goes on the person's next channel.

`variables` are template expressions rendered with the message's context, in the order of
{{1}}, {{2}}, … in `body`. WhatsApp refuses a variable with a line break, a tab, more than
four spaces in a row, or more than 1,024 characters (`variables_problem`).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class WhatsAppTemplate:
    name: str
    body: str  # Spanish, as approved; {{n}} are the variables
    variables: tuple[str, ...]
    category: str = "UTILITY"
    body_en: str = ""  # the English version, for people who chose English ("<name>:en" in the ids)

    def body_in(self, language: str) -> str:
        return self.body_en if language == "en" and self.body_en else self.body

    def sid_key(self, language: str) -> str:
        return f"{self.name}:en" if language == "en" and self.body_en else self.name


MAX_VARIABLE = 1024

TEMPLATES = {
    t.name: t
    for t in [
        WhatsAppTemplate(
            "minga_pedido_recibido",
            "Recibimos su pedido {{1}} por {{2}}. {{3}} Véalo en {{4}}",
            ("order.number", "order.total_cop|cop", "handover_line", "url"),
            body_en="We received your order {{1}} for {{2}}. {{3}} See it at {{4}}",
        ),
        WhatsAppTemplate(
            "minga_pedido_confirmado",
            "Su pedido {{1}} está confirmado. Total: {{2}}. {{3}} Véalo en {{4}}",
            ("order.number", "order.total_cop|cop", "handover_line", "url"),
            body_en="Your order {{1}} is confirmed. Total: {{2}}. {{3}} See it at {{4}}",
        ),
        WhatsAppTemplate(
            "minga_pedido_cambio",
            "Su pedido {{1}} cambió: {{2}} Nuevo total: {{3}}. Véalo en {{4}}",
            ("order.number", "change_line", "order.total_cop|cop", "url"),
            body_en="Your order {{1}} changed: {{2}} New total: {{3}}. See it at {{4}}",
        ),
        WhatsAppTemplate(
            "minga_pedido_listo",
            "Su pedido {{1}} está listo. {{2}} Véalo en {{3}}",
            ("order.number", "handover_line", "url"),
            body_en="Your order {{1}} is ready. {{2}} See it at {{3}}",
        ),
        WhatsAppTemplate(
            "minga_pedido_entregado",
            "Su pedido {{1}} fue entregado. Gracias por comprarle al campo. Recibo: {{2}}",
            ("order.number", "url"),
            body_en="Your order {{1}} was handed over. Thank you for buying from the countryside. "
            "Receipt: {{2}}",
        ),
        WhatsAppTemplate(
            "minga_pedido_cancelado",
            "Su pedido {{1}} fue cancelado. {{2}}",
            ("order.number", "url"),
            body_en="Your order {{1}} was cancelled. {{2}}",
        ),
        WhatsAppTemplate(
            "minga_pago_recibido",
            "Registramos su pago de {{1}} para el pedido {{2}}. Gracias.",
            ("amount|cop", "order.number"),
            body_en="We recorded your payment of {{1}} for order {{2}}. Thank you.",
        ),
        WhatsAppTemplate(
            "minga_cooperativa_pedido",
            "{{1}}: nuevo pedido {{2}} por {{3}}. {{4}} Véalo en {{5}}",
            ("cooperative.name", "order.number", "fulfilment.total_cop|cop", "handover_line", "url"),
        ),
        WhatsAppTemplate(
            "minga_cooperativa_cancelado",
            "{{1}}: el pedido {{2}} fue cancelado. No lo prepare. {{3}}",
            ("cooperative.name", "order.number", "url"),
        ),
        WhatsAppTemplate(
            "minga_recordatorio_recogida",
            "Le recordamos su pedido {{2}} del mercado {{1}}: {{3}}",
            ("market_title", "order.number", "handover_line"),
            body_en="A reminder of your order {{2}} from the market {{1}}: {{3}}",
        ),
        WhatsAppTemplate(
            "minga_mercado_abre",
            "El mercado {{1}} ya abrió. Haga su pedido hasta el {{2}}: {{3}}",
            ("market_title", "closes_line", "url"),
            body_en="The market {{1}} is open. Order until {{2}}: {{3}}",
        ),
        WhatsAppTemplate(
            "minga_confirme_cantidades",
            "{{1}}: el mercado {{2}} abre el {{3}}. Confirme cuánto llevará: {{4}}",
            ("cooperative.name", "market_title", "opens_line", "url"),
        ),
        WhatsAppTemplate(
            "minga_lista_mercado",
            "{{1}}: cerró el mercado {{2}}. Su lista para llevar: {{3}}",
            ("cooperative.name", "market_title", "url"),
        ),
        WhatsAppTemplate(
            "minga_organizacion",
            "Minga revisó el registro de {{1}}: {{2}} Véalo en {{3}}",
            ("organization.legal_name", "decision_line", "url"),
            body_en="Minga reviewed the registration of {{1}}: {{2}} See it at {{3}}",
        ),
        WhatsAppTemplate(
            "minga_cooperativa_verificada",
            "{{1}} quedó verificada en Minga. Ya puede publicar sus productos y vender: {{2}}",
            ("cooperative.name", "url"),
            body_en="{{1}} is now verified on Minga. You can publish your products and sell: {{2}}",
        ),
        WhatsAppTemplate(
            "minga_codigo",
            "Su código de Minga es {{1}}. No lo comparta con nadie.",
            ("code",),
            body_en="Your Minga code is {{1}}. Do not share it with anyone.",
            category="AUTHENTICATION",
        ),
    ]
}


def variables_problem(values: list[str]) -> str:
    """Why WhatsApp would refuse these variables ("" when it would not)."""
    for n, value in enumerate(values, start=1):
        if not value.strip():
            return f"{{{{{n}}}}} is empty"
        if len(value) > MAX_VARIABLE:
            return f"{{{{{n}}}}} has {len(value)} characters (at most {MAX_VARIABLE})"
        if "\n" in value or "\t" in value or "     " in value:
            return f"{{{{{n}}}}} has a line break, a tab or more than four spaces in a row"
    return ""


def fill(template: WhatsAppTemplate, values: list[str], language: str = "es") -> str:
    text = template.body_in(language)
    for n, value in enumerate(values, start=1):
        text = text.replace(f"{{{{{n}}}}}", value)
    return text
