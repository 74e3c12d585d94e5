"""Product search on PostgreSQL: full text and trigrams (see catalog/search.py).

- the `unaccent` and `pg_trgm` extensions;
- a text search configuration `minga_search`: the `simple` one (no stemming: product names
  are Spanish, English and Nasa Yuwe alike) with accents removed, so `cafe` finds `Café`;
- `catalog_product.search_vector`, a tsvector with the name weighted A, the description B
  and the rest of `search_text` (category, cooperative, what it is known for) C, kept by a
  trigger on every insert and on every update of those columns (so `bulk_create` and
  `update()` keep it too), and its GIN index;
- `minga_fold(text)`, an immutable unaccent + lower-case, and a GiST trigram index on the
  folded product name: the nearest names to a misspelt word (`yuka`) give its correction.

The column is not a model field: SQLite, the embedded default, has its own index (FTS5,
migration 0006). This migration does nothing on SQLite.
"""

from django.db import migrations

from catalog.migrations._postgresql import postgresql_only

FORWARDS = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE TEXT SEARCH CONFIGURATION minga_search (COPY = pg_catalog.simple)",
    "ALTER TEXT SEARCH CONFIGURATION minga_search "
    "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple",
    """CREATE FUNCTION minga_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$""",
    "ALTER TABLE catalog_product ADD COLUMN search_vector tsvector",
    """CREATE FUNCTION catalog_product_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_vector :=
            setweight(to_tsvector('minga_search', coalesce(NEW.name, '')), 'A')
            || setweight(to_tsvector('minga_search', coalesce(NEW.description, '')), 'B')
            || setweight(to_tsvector('minga_search', coalesce(NEW.search_text, '')), 'C');
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER catalog_product_search_vector
    BEFORE INSERT OR UPDATE OF name, description, search_text ON catalog_product
    FOR EACH ROW EXECUTE FUNCTION catalog_product_search_vector()""",
    "UPDATE catalog_product SET name = name",
    "CREATE INDEX catalog_product_search_vector ON catalog_product USING gin (search_vector)",
    "CREATE INDEX catalog_product_name_trgm ON catalog_product USING gist (minga_fold(name) gist_trgm_ops)",
]

BACKWARDS = [
    "DROP INDEX IF EXISTS catalog_product_name_trgm",
    "DROP TRIGGER IF EXISTS catalog_product_search_vector ON catalog_product",
    "DROP FUNCTION IF EXISTS catalog_product_search_vector()",
    "ALTER TABLE catalog_product DROP COLUMN IF EXISTS search_vector",
    "DROP FUNCTION IF EXISTS minga_fold(text)",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS minga_search",
]


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_product_form_key")]

    operations = [postgresql_only(FORWARDS, BACKWARDS)]
