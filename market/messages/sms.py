"""SMS text: the GSM-7 alphabet, segments, and how Spanish is written to fit one segment.

A segment carries 160 GSM-7 characters (153 each when the text is split), or 70 UCS-2
characters (67 each when split). One character outside GSM-7 turns the whole text to UCS-2:
GSM-7 has é, ñ, ü, ¿ and ¡ but not á, í, ó, ú. So the SMS texts write á, í, ó, ú without the
accent (`gsm_text`): "Su pedido está listo" becomes "Su pedido esta listo", read the same by
everybody and half the price. E-mail and WhatsApp keep every accent.
"""

GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€\f")  # two septets each (escape + character)

_FOLD = str.maketrans(
    {"á": "a", "í": "i", "ó": "o", "ú": "u", "Á": "A", "Í": "I", "Ó": "O", "Ú": "U"}
    | {"“": '"', "”": '"', "’": "'", "–": "-", "—": "-", "…": "...", "\u00a0": " "}
)


def gsm_text(text: str) -> str:
    """`text` with the letters GSM-7 lacks and Spanish needs written plainly (á → a, …)."""
    return text.translate(_FOLD)


def is_gsm(text: str) -> bool:
    return all(c in GSM_BASIC or c in GSM_EXTENDED for c in text)


def sms_segments(text: str) -> tuple[str, int]:
    """("GSM-7" or "UCS-2", how many segments `text` takes)."""
    if is_gsm(text):
        units = sum(2 if c in GSM_EXTENDED else 1 for c in text)
        return "GSM-7", 1 if units <= 160 else -(-units // 153)
    units = sum(2 if ord(c) > 0xFFFF else 1 for c in text)  # UTF-16 code units
    return "UCS-2", 1 if units <= 70 else -(-units // 67)
