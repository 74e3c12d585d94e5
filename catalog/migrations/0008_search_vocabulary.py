"""The search's vocabulary on PostgreSQL: every word the full-text index knows (see
catalog/search.py), so that the fallbacks of a search that found nothing read a small table
of words instead of the products.

- `catalog_search_word`: one row per lexeme of any product's `search_vector` (folded words
  of names, descriptions, categories, cooperatives), the same words SQLite's
  `catalog_product_fts_vocab` lists. Its primary key is in the "C" collation, so the one
  B-tree index answers both lookups: a misspelt word's one-edit variants (`word = ANY`) and
  the words a word start stands for (`caf` ≤ word < `cag`, in the order of the index).
- Triggers after every insert (once per statement) and after every update that changes a
  product's vector add its new words, however the row is written (`save`, `bulk_create`,
  `update`, `bulk_update`). Words are added in their order and never locked when already
  there, so products written at the same moment do not wait for each other.
- A word stays when the last product using it goes: it then stands for a typo or a word
  start as before, and the product probe that follows finds nothing through it. (Removing
  it would mean counting each word's products, and every product write would then lock
  the words it shares with all the others: "de", "del", its category...)
- The trigram index on product names (migration 0005) is dropped: corrections no longer
  read product names.

This migration does nothing on SQLite, whose FTS5 index keeps its own vocabulary.
"""

from django.db import migrations

from catalog.migrations._postgresql import postgresql_only

FORWARDS = [
    'CREATE TABLE catalog_search_word (word text COLLATE "C" PRIMARY KEY)',
    # Inserts, once per statement: a `bulk_create` of 500 products adds their words at once.
    """CREATE FUNCTION catalog_search_word_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO catalog_search_word (word)
        SELECT DISTINCT unnest(tsvector_to_array(search_vector)) FROM inserted
        ORDER BY 1
        ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER catalog_search_word_insert AFTER INSERT ON catalog_product
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_search_word_insert()""",
    # Updates, per row whose vector changed (a transition table cannot go with a column list,
    # and a statement trigger on every update would run for every stock change too).
    """CREATE FUNCTION catalog_search_word_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO catalog_search_word (word)
        SELECT unnest(tsvector_to_array(NEW.search_vector))
        EXCEPT SELECT unnest(tsvector_to_array(OLD.search_vector))
        ORDER BY 1
        ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER catalog_search_word_update
    AFTER UPDATE OF name, description, search_text, search_vector ON catalog_product
    FOR EACH ROW WHEN (OLD.search_vector IS DISTINCT FROM NEW.search_vector)
    EXECUTE FUNCTION catalog_search_word_update()""",
    """INSERT INTO catalog_search_word (word)
    SELECT DISTINCT unnest(tsvector_to_array(search_vector)) FROM catalog_product
    ON CONFLICT DO NOTHING""",
    "ANALYZE catalog_search_word",
    "DROP INDEX IF EXISTS catalog_product_name_trgm",
]

BACKWARDS = [
    "CREATE INDEX IF NOT EXISTS catalog_product_name_trgm ON catalog_product "
    "USING gist (minga_fold(name) gist_trgm_ops)",
    "DROP TRIGGER IF EXISTS catalog_search_word_update ON catalog_product",
    "DROP TRIGGER IF EXISTS catalog_search_word_insert ON catalog_product",
    "DROP FUNCTION IF EXISTS catalog_search_word_update()",
    "DROP FUNCTION IF EXISTS catalog_search_word_insert()",
    "DROP TABLE IF EXISTS catalog_search_word",
]


class Migration(migrations.Migration):
    dependencies = [("catalog", "0007_product_listing_order")]

    operations = [postgresql_only(FORWARDS, BACKWARDS)]
