"""Product search: one function, `rank_products`, for every page that searches.

What a buyer gets: products ranked by where the words are (the name before the
description before the category and cooperative), accents ignored (`cafe` finds `Café`),
and, when the whole words match nothing, the start of a word (`caf` finds `Café`, `huevo`
finds `Huevos`) and one typo forgiven (`yuka` finds `Yuca`): each word also stands for the
known words one edit away (a letter missing, extra, wrong, or two letters swapped).

Each database answers from its own index (both made by migrations):

- PostgreSQL: `catalog_product.search_vector` (weights A name, B description, C the rest of
  `search_text`) with a GIN index, ranked by `ts_rank`; names have a GIN index of their
  own words for the first probe (a GIN index cannot filter weights). Its words are listed in
  `catalog_search_word` (migration 0008, kept by triggers): a misspelt word's one-edit
  variants are looked up there, and a word start becomes at most `PREFIX_WORDS` of the
  words it starts (read in the order of the table's index), probed as whole words.
- SQLite: the FTS5 table `catalog_product_fts` finds the products and Python ranks the
  few read (where the words are: name, description, the rest), not `bm25`, whose statistics
  read every product that says a word; a misspelt word's one-edit variants are each a MATCH
  that stops at its first product (unless a product says the word itself), and a word start
  is FTS5's own prefix query.

Size must not cost: the work is bounded whatever the catalogue. Two probes each read at
most `MAX_RESULTS` matching rows, with no sort: the products whose name matches every word,
then those that match anywhere; only those are ranked. When more match, the page says
"more than 240" and the buyer narrows the search (a filter or another word). The fallbacks
read the vocabulary, never the products: a few hundred one-edit variants per word looked up
by key, and one range of the vocabulary's index per word start.
"""

import json
import re
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import BooleanField, FloatField, QuerySet
from django.db.models.expressions import RawSQL

from market.text import fold, search_words

MAX_RESULTS = 240  # ten pages of 24
PREFIX_MIN = 3  # shorter words match whole words only
TYPO_MIN = 4  # shorter words are not corrected: too many words are one edit from "pan"
TYPO_MAX = 24  # nor longer ones: no product's word is that long, and each letter adds 74 variants
PREFIX_WORDS = 50  # PostgreSQL: the most words a word start stands for
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_TOKEN = re.compile(r"[^\W_]+")


@dataclass
class Ranked:
    """Product ids, best first; `capped` when more matched than were ranked."""

    ids: list[int] = field(default_factory=list)
    capped: bool = False
    terms: list[str] = field(default_factory=list)  # what to highlight (folded words)
    corrected: str = ""  # the search as understood, when a typo was forgiven


def query_words(text: str) -> list[str]:
    """The folded words of a search, split where the indexes split them (`yuca-fresca`)."""
    return _TOKEN.findall(" ".join(search_words(text)))[:8]


def rank_products(base: QuerySet, text: str) -> Ranked:
    """Rank the products of `base` (already filtered: public, category, place...) for `text`.

    Whole words first (the cheapest postings, and the planner estimates them well); when
    they find nothing, each word of three letters or more also as the start of a word
    (`caf*`, `huevo*`) and each of four or more with its one-edit corrections."""
    words = query_words(text)
    if not words:
        return Ranked()
    backend = _backend()
    ranked = _probe(backend, base, [[w] for w in words])
    if ranked.ids:
        ranked.terms = words
        return ranked
    fixes = corrections(backend, [w for w in words if TYPO_MIN <= len(w) <= TYPO_MAX])
    starts = backend.word_starts([w for w in words if len(w) >= PREFIX_MIN])
    groups = [list(dict.fromkeys([*starts.get(w, [w]), *fixes.get(w, [])])) for w in words]
    if not all(groups):
        return Ranked()  # a word that no known word starts or is one edit from: nothing matches
    ranked = _probe(backend, base, groups)
    if ranked.ids:
        ranked.terms = [term for group in groups for term in group]
        ranked.corrected = " ".join(fixes[w][0] if len(fixes.get(w) or []) == 1 else w for w in words)
        if ranked.corrected == " ".join(words):
            ranked.corrected = ""
    return ranked


def corrections(backend, words: list[str]) -> dict[str, list[str]]:
    """The known words one edit from each word: its variants looked up in the vocabulary,
    all the words' at once."""
    variants = {w: edits(w) - {w} for w in words}
    if not variants:
        return {}
    return backend.known_variants(variants)


def _probe(backend, base: QuerySet, groups: list[list[str]]) -> Ranked:
    rows = {}
    for name_only in backend.PROBES:
        probe = backend.matches(base.order_by(), groups, name_only=name_only)
        found = backend.rows(probe, groups, name_only=name_only, known=rows)
        rows.update((row[0], row) for row in found)
        if len(found) < MAX_RESULTS and not name_only:
            break  # every product that matches anywhere is read: nothing more to find
        if name_only and len(found) == MAX_RESULTS:
            break  # enough names match: the rest would rank below them anyway
    ordered = sorted(rows.values(), key=lambda r: (-r[1], not r[2], r[3], r[0]))
    return Ranked(ids=[r[0] for r in ordered[:MAX_RESULTS]], capped=len(rows) >= MAX_RESULTS)


def _backend():
    return PostgresSearch if connection.vendor == "postgresql" else SqliteSearch


class PostgresSearch:
    # The products whose name says every word first (they rank first), then the others.
    PROBES = (True, False)

    # ts_rank's weights for D, C, B, A: a word in the name outweighs any number elsewhere.
    WEIGHTS = "{0.0, 0.01, 0.1, 1.0}"

    # The first probe reads the names' own index (migration 0009): weights are not in a GIN
    # index, so `word:A` on `search_vector` would read every product that says the word.
    NAME_VECTOR = "to_tsvector('minga_search'::regconfig, catalog_product.name)"

    @staticmethod
    def tsquery(groups: list[list[str]]) -> str:
        # Each word quoted (a word of the vocabulary may hold any character but a space).
        def term(word: str) -> str:
            return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"

        return " & ".join("(" + " | ".join(term(w) for w in group) + ")" for group in groups)

    @classmethod
    def matches(cls, qs: QuerySet, groups, *, name_only: bool) -> QuerySet:
        query = cls.tsquery(groups)
        vector = cls.NAME_VECTOR if name_only else "catalog_product.search_vector"
        return qs.filter(
            RawSQL(f"{vector} @@ to_tsquery('minga_search', %s)", [query], output_field=BooleanField())
        ).annotate(
            search_rank=RawSQL(
                f"ts_rank('{cls.WEIGHTS}', catalog_product.search_vector, to_tsquery('minga_search', %s))",
                [query],
                output_field=FloatField(),
            )
        )

    @staticmethod
    def rows(probe: QuerySet, groups, *, name_only: bool, known: dict) -> list[tuple]:
        """(id, rank, is_available, name) of at most `MAX_RESULTS` products of `probe`."""
        return list(probe.values_list("id", "search_rank", "is_available", "name")[:MAX_RESULTS])

    @classmethod
    def known_variants(cls, variants: dict[str, set[str]]) -> dict[str, list[str]]:
        known = cls.known_words(sorted(set().union(*variants.values())))
        return {w: sorted(v & known) for w, v in variants.items()}

    @staticmethod
    def known_words(candidates: list[str]) -> set[str]:
        """Which of `candidates` are words of the index: one look-up each in the vocabulary's key."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT word FROM catalog_search_word WHERE word = ANY(%s)", [candidates])
            return {row[0] for row in cursor.fetchall()}

    @staticmethod
    def word_starts(words: list[str]) -> dict[str, list[str]]:
        """For each word, the first `PREFIX_WORDS` known words that start with it (itself
        included): one range of the vocabulary's index each, `caf` ≤ word < `cag`."""
        if not words:
            return {}
        with connection.cursor() as cursor:
            cursor.execute(
                """SELECT s.start, w.word FROM unnest(%s::text[], %s::text[]) AS s(start, below)
                CROSS JOIN LATERAL (
                    SELECT word FROM catalog_search_word
                    WHERE word >= s.start AND word < s.below ORDER BY word LIMIT %s
                ) AS w""",
                [words, [w[:-1] + chr(ord(w[-1]) + 1) for w in words], PREFIX_WORDS],
            )
            found: dict[str, list[str]] = {w: [] for w in words}
            for start, word in cursor.fetchall():
                found[start].append(word)
        return found


class SqliteSearch:
    """FTS5 finds the products; Python ranks the few it returns.

    Not `bm25`: before its first row it counts, for each word of the search, every product
    that says it (FTS5 needs that count for its idf), so a common word cost a probe 3 to 7 ms
    at 100,000 products and more with the catalogue; a probe that stops after `MAX_RESULTS`
    rows costs the same at any size. The rank is where the words are, as `bm25`'s weights
    (name 100, description 10, the rest 1) made it: each word (or one of its corrections or
    completions) scores the best column that says it, summed over the words."""

    NAME, DESCRIPTION, ELSEWHERE = 100.0, 10.0, 1.0

    # Anywhere first: when fewer than `MAX_RESULTS` products match, that probe read them all
    # and ranks them, and the names' probe is not needed (a filter that leaves none of the
    # word's products, `platano` in fruit, reads the word's products once, not twice). When
    # more match, the names' probe adds those that say every word in their name.
    PROBES = (False, True)

    @staticmethod
    def fts_query(groups: list[list[str]], *, name_only: bool) -> str:
        def term(word: str) -> str:
            return f'"{word.rstrip("*")}"' + ("*" if word.endswith("*") else "")

        query = " AND ".join("(" + " OR ".join(term(w) for w in group) + ")" for group in groups)
        return "{name} : (" + query + ")" if name_only else query

    @classmethod
    def matches(cls, qs: QuerySet, groups, *, name_only: bool) -> QuerySet:
        # The FTS table joins the query (not a subquery per row): the MATCH drives the
        # join, and the probe stops after its LIMIT.
        return qs.extra(
            tables=["catalog_product_fts"],
            where=["catalog_product_fts.rowid = catalog_product.id", "catalog_product_fts MATCH %s"],
            params=[cls.fts_query(groups, name_only=name_only)],
        )

    @classmethod
    def rows(cls, probe: QuerySet, groups, *, name_only: bool, known: dict) -> list[tuple]:
        """(id, rank, is_available, name) of at most `MAX_RESULTS` products of `probe`: the
        names' probe says every word is in the name; the other reads the description of
        the products the names' probe did not find, to rank them."""
        if name_only:
            found = probe.values_list("id", "is_available", "name")[:MAX_RESULTS]
            return [(pk, cls.NAME * len(groups), available, name) for pk, available, name in found]
        found = probe.values_list("id", "is_available", "name", "description")[:MAX_RESULTS]
        return [
            known.get(pk) or (pk, cls.rank(groups, name, description), available, name)
            for pk, available, name, description in found
        ]

    @classmethod
    def rank(cls, groups: list[list[str]], name: str, description: str) -> float:
        name_words = set(_TOKEN.findall(fold(name)))
        description_words: set[str] | None = None
        score = 0.0
        for group in groups:
            if _says(name_words, group):
                score += cls.NAME
                continue
            if description_words is None:
                description_words = set(_TOKEN.findall(fold(description)))
            score += cls.DESCRIPTION if _says(description_words, group) else cls.ELSEWHERE
        return score

    @staticmethod
    def known_variants(variants: dict[str, set[str]]) -> dict[str, list[str]]:
        """For each word that no product says, which of its variants a product says; a word
        some product says is taken as meant (`platano` in fruit finds nothing: not a typo).

        One statement: FTS5 itself answers each look-up (a MATCH that stops at its first
        product). Not its vocabulary table (`fts5vocab`), which counts every product that
        says a word before answering (3 ms for a word that 100,000 products say), nor one
        look-up per variant of a known word: a few hundred fewer look-ups of some 20 µs."""
        with connection.cursor() as cursor:
            cursor.execute(
                """SELECT w.key, v.value FROM json_each(%s) AS w, json_each(w.value) AS v
                WHERE NOT EXISTS (SELECT 1 FROM catalog_product_fts f
                                  WHERE f.catalog_product_fts MATCH '"' || w.key || '"')
                AND EXISTS (SELECT 1 FROM catalog_product_fts f
                            WHERE f.catalog_product_fts MATCH '"' || v.value || '"')""",
                # The words and variants are letters and digits only (`query_words`, `edits`).
                [json.dumps({w: sorted(v) for w, v in variants.items()})],
            )
            found: dict[str, list[str]] = {w: [] for w in variants}
            for word, variant in cursor.fetchall():
                found[word].append(variant)
        return {w: sorted(v) for w, v in found.items()}

    @staticmethod
    def word_starts(words: list[str]) -> dict[str, list[str]]:
        """FTS5 reads a word start from its index itself (`"caf"*`)."""
        return {w: [w + "*"] for w in words}


def _says(words: set[str], group: list[str]) -> bool:
    """Whether one of `words` (a column's, folded) is one of `group` (`caf*`: starts with `caf`)."""
    for term in group:
        if term.endswith("*"):
            start = term[:-1]
            if any(w.startswith(start) for w in words):
                return True
        elif term in words:
            return True
    return False


def edits(word: str) -> set[str]:
    """Every string one edit from `word` (Norvig's four edits)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in ALPHABET}
    inserts = {a + c + b for a, b in splits for c in ALPHABET}
    return deletes | swaps | replaces | inserts
