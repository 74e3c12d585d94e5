"""Django reads `{# … #}` as a comment only on one line: one spread over two lines is printed
on the page as it is (it once showed on every open storefront). Longer notes use
`{% comment %}`."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("market", "cms", "catalog", "orders", "cooperatives", "impact")


def test_no_template_comment_spans_two_lines():
    broken = []
    for app in APPS:
        for template in sorted((ROOT / app / "templates").rglob("*.html")):
            for number, line in enumerate(template.read_text(encoding="utf-8").splitlines(), 1):
                for opened in re.finditer(r"\{#", line):
                    if "#}" not in line[opened.end() :]:
                        broken.append(f"{template.relative_to(ROOT)}:{number}")
    assert broken == []
