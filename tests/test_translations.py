"""Spanish is the first language: every string our templates mark must be translated.

The extractor below needs no gettext tools: Django's `templatize` turns a template's
translation tags into gettext()/ngettext()/pgettext()/npgettext() calls, and Python's
`tokenize` reads the string literals out of those calls. The compiled catalogue is read
with the standard library's `gettext`, exactly as committed (a fresh machine may have no
`msgfmt`, so the .mo must be in the repository and in step with the .po).
"""

import ast
import gettext
import io
import tokenize
from pathlib import Path

import pytest
from django.utils.translation.template import templatize

BASE_DIR = Path(__file__).resolve().parent.parent
LOCALE_DIR = BASE_DIR / "locale" / "es" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"

# The project's own apps that must have templates; any other top-level app folder with a
# `templates` directory (a new app) is picked up too.
KNOWN_TEMPLATE_DIRS = ["market/templates", "catalog/templates", "cooperatives/templates", "cms/templates"]
NOT_APPS = {".venv", "venv", "staticfiles", "media", "node_modules", "tests"}

# The extractor finds 310 distinct strings in 66 templates today (the same set xgettext
# finds); far fewer means it broke. The .po, with the Python strings too, holds 704.
MIN_TEMPLATE_STRINGS = 290
MIN_PO_ENTRIES = 650

CONTEXT_SEPARATOR = "\x04"  # how gettext stores msgctxt + msgid in one key


# --- Extraction --------------------------------------------------------------------------


def template_dirs() -> list[Path]:
    dirs = {BASE_DIR / d for d in KNOWN_TEMPLATE_DIRS}
    for candidate in BASE_DIR.glob("*/templates"):
        app = candidate.parent.name
        if candidate.is_dir() and not app.startswith(".") and app not in NOT_APPS:
            dirs.add(candidate)
    return sorted(dirs)


def template_files() -> list[Path]:
    return sorted(
        path
        for directory in template_dirs()
        for path in directory.rglob("*")
        if path.is_file() and not path.name.startswith(".")
    )


def _call_arguments(tokens: list[tokenize.TokenInfo], start: int) -> list[str]:
    """String-literal arguments of the call whose "(" is at `start`, in order.

    Adjacent literals are joined as Python does; a non-literal argument (`count`) ends it.
    """
    args: list[str] = []
    current: str | None = None
    for tok in tokens[start + 1 :]:
        if tok.type == tokenize.STRING:
            current = (current or "") + ast.literal_eval(tok.string)
        elif tok.type == tokenize.OP and tok.string in {",", ")"}:
            if current is not None:
                args.append(current)
            current = None
            if tok.string == ")":
                break
        elif tok.type in {tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT}:
            continue
        else:
            break
    return args


def catalog_keys(python_like: str) -> list[tuple[str, str | tuple[str, int]]]:
    """(function, catalogue key) for each translation call in templatize() output.

    Keys are those of `GNUTranslations._catalog`: msgid, "ctx\\x04msgid", or (msgid, 0)
    for plural entries.
    """
    # Left-align every line: the template's indentation means nothing to Python.
    text = "\n".join(line.lstrip() for line in python_like.splitlines()) + "\n"
    tokens = [
        t
        for t in tokenize.generate_tokens(io.StringIO(text).readline)
        if t.type not in {tokenize.INDENT, tokenize.DEDENT}
    ]
    found = []
    for i, tok in enumerate(tokens[:-1]):
        nxt = tokens[i + 1]
        if tok.type != tokenize.NAME or nxt.type != tokenize.OP or nxt.string != "(":
            continue
        name = tok.string
        args = _call_arguments(tokens, i + 1)
        if name in {"gettext", "_"} and len(args) >= 1:
            found.append((name, args[0]))
        elif name == "ngettext" and len(args) >= 2:
            found.append((name, (args[0], 0)))
        elif name == "pgettext" and len(args) >= 2:
            found.append((name, f"{args[0]}{CONTEXT_SEPARATOR}{args[1]}"))
        elif name == "npgettext" and len(args) >= 3:
            found.append((name, (f"{args[0]}{CONTEXT_SEPARATOR}{args[1]}", 0)))
    return found


def template_strings() -> dict[str | tuple[str, int], list[str]]:
    """Every catalogue key used by our templates -> the templates that use it."""
    used: dict[str | tuple[str, int], list[str]] = {}
    for path in template_files():
        source = path.read_text(encoding="utf-8")
        relative = str(path.relative_to(BASE_DIR))
        for _function, key in catalog_keys(templatize(source, origin=relative)):
            used.setdefault(key, [])
            if relative not in used[key]:
                used[key].append(relative)
    return used


def load_mo() -> dict:
    with MO_PATH.open("rb") as handle:
        return gettext.GNUTranslations(handle)._catalog


def plural_forms(key) -> list:
    """The catalogue keys a template key needs: both Spanish forms for a plural."""
    return [(key[0], 0), (key[0], 1)] if isinstance(key, tuple) else [key]


def describe(key) -> str:
    text = key[0] if isinstance(key, tuple) else key
    if CONTEXT_SEPARATOR in text:
        context, text = text.split(CONTEXT_SEPARATOR, 1)
        text = f"{text!r} (context {context!r})"
    else:
        text = repr(text)
    return text + (" [plural]" if isinstance(key, tuple) else "")


# --- .po parsing -------------------------------------------------------------------------


def parse_po(path: Path | None = None) -> list[dict]:
    """Entries of a .po file: msgctxt, msgid, msgid_plural, msgstr {index: text}, flags.

    Obsolete (`#~`) entries are left out, as msgfmt leaves them out.
    """
    path = path or PO_PATH
    entries: list[dict] = []
    entry: dict = {}
    field: tuple | None = None

    def finish():
        nonlocal entry, field
        if "msgid" in entry:
            entries.append(entry)
        entry, field = {}, None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
        elif line.startswith("#~"):
            continue
        elif line.startswith("#,"):
            if "msgid" in entry:
                finish()
            entry.setdefault("flags", set()).update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#"):
            if "msgid" in entry:
                finish()
        elif line.startswith('"'):
            assert field is not None, f"{path}: continuation line without a keyword: {raw!r}"
            value = ast.literal_eval(line)
            if field[0] == "msgstr":
                entry["msgstr"][field[1]] += value
            else:
                entry[field[0]] += value
        else:
            keyword, _, literal = line.partition(" ")
            value = ast.literal_eval(literal)
            if keyword in {"msgctxt", "msgid"} and "msgid" in entry:
                finish()
            if keyword.startswith("msgstr"):
                index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
                entry.setdefault("msgstr", {})[index] = value
                field = ("msgstr", index)
            else:
                entry[keyword] = value
                field = (keyword,)
    finish()
    for e in entries:
        e.setdefault("flags", set()).discard("")
        e.setdefault("msgstr", {})
    return entries


def po_key(entry: dict) -> str:
    if "msgctxt" in entry:
        return f"{entry['msgctxt']}{CONTEXT_SEPARATOR}{entry['msgid']}"
    return entry["msgid"]


def po_messages() -> list[dict]:
    """The translatable entries (the header, msgid "", excluded)."""
    return [e for e in parse_po() if e["msgid"] != ""]


# --- Tests -------------------------------------------------------------------------------


def test_extractor_finds_the_template_strings():
    for directory in KNOWN_TEMPLATE_DIRS:
        assert (BASE_DIR / directory).is_dir(), f"missing template folder {directory}"
    keys = template_strings()
    assert len(keys) >= MIN_TEMPLATE_STRINGS, (
        f"the extractor found only {len(keys)} strings in {len(template_files())} templates: is it broken?"
    )
    # Each kind of tag is understood.
    assert "Catalogue" in keys  # {% translate %}
    assert ("%(counter)s product", 0) in keys  # {% blocktranslate count %}
    assert "Page %(number)s of %(total)s" in keys  # {% blocktranslate with %}


def test_extractor_reads_every_form_of_call():
    source = (
        '{% load i18n %}\n  {% translate "Plain" %} {% translate "Ctx" context "menu" %}\n'
        "{% blocktranslate count n=3 %}one{% plural %}many{% endblocktranslate %}\n"
        '{% blocktranslate context "money" count n=2 %}a peso{% plural %}{{ n }} pesos'
        "{% endblocktranslate %}\n"
        "{% blocktranslate trimmed %}\n   Two\n   lines\n{% endblocktranslate %}\n"
        '{{ value|default:_("Fallback") }}'
    )
    keys = [key for _function, key in catalog_keys(templatize(source))]
    assert keys == [
        "Plain",
        f"menu{CONTEXT_SEPARATOR}Ctx",
        ("one", 0),
        (f"money{CONTEXT_SEPARATOR}a peso", 0),
        "Two lines",
        "Fallback",
    ]


def test_every_template_string_is_translated_to_spanish():
    catalog = load_mo()
    missing = [
        f"{describe(key)} in {', '.join(paths)}"
        for key, paths in sorted(template_strings().items(), key=lambda item: str(item[0]))
        if not all(catalog.get(form) for form in plural_forms(key))
    ]
    assert not missing, (
        f"{len(missing)} template string(s) have no Spanish translation in locale/es/LC_MESSAGES/django.mo "
        "(run makemessages, translate, compilemessages):\n" + "\n".join(missing)
    )


def test_po_header_declares_spanish_plurals():
    header = next(e for e in parse_po() if e["msgid"] == "")["msgstr"][0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header
    assert "charset=UTF-8" in header
    assert "fuzzy" not in next(e for e in parse_po() if e["msgid"] == "")["flags"]


def test_po_has_no_empty_or_fuzzy_entry():
    entries = po_messages()
    assert len(entries) >= MIN_PO_ENTRIES
    empty = [
        describe(po_key(e))
        for e in entries
        if not e["msgstr"]
        or any(not text for text in e["msgstr"].values())
        or ("msgid_plural" in e and sorted(e["msgstr"]) != [0, 1])
    ]
    fuzzy = [describe(po_key(e)) for e in entries if "fuzzy" in e["flags"]]
    problems = [f"untranslated: {m}" for m in empty] + [
        f"fuzzy (check it, then drop the flag): {m}" for m in fuzzy
    ]
    assert not problems, "django.po is not finished:\n" + "\n".join(problems)


def test_mo_is_compiled_from_the_current_po():
    catalog = load_mo()
    stale = []
    expected = set()
    for e in po_messages():
        key = po_key(e)
        if "msgid_plural" in e:
            for index, text in e["msgstr"].items():
                expected.add((key, index))
                if catalog.get((key, index)) != text:
                    stale.append(f"{describe(key)}[{index}]")
        else:
            expected.add(key)
            if catalog.get(key) != e["msgstr"].get(0):
                stale.append(describe(key))
    extra = [describe(k) for k in catalog if k != "" and k not in expected]
    assert not stale, "django.mo differs from django.po (run compilemessages):\n" + "\n".join(stale)
    assert not extra, "django.mo has entries no longer in django.po (run compilemessages):\n" + "\n".join(
        extra
    )


@pytest.mark.django_db
def test_catalogue_page_is_spanish_by_default(client):
    response = client.get("/catalogo/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="es">' in html
    assert "Catálogo" in html
    assert "Buscar" in html
    assert "Catalogue" not in html
    assert "Search" not in html


@pytest.mark.django_db
def test_catalogue_page_in_english_under_en(client):
    response = client.get("/en/catalogo/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Catalogue" in html
    assert "Search" in html
    assert "Catálogo" not in html
