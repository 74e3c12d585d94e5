"""Product search on SQLite, the embedded default: an FTS5 index (see catalog/search.py).

`catalog_product_fts` indexes the name, the description and `search_text` of every product
(external content: the text stays in `catalog_product`), accents removed by the tokenizer;
triggers keep it in step with every insert, delete and update of those columns, however the
row is written. `catalog_product_fts_vocab` lists its words: the spelling fallback looks a
misspelt word's one-letter variants up there.

Django's SQLite schema editor rebuilds a table to alter it and the triggers do not survive
that: a later migration that alters `catalog_product` on SQLite must run `TRIGGERS` again
(the search tests fail if it does not). This migration does nothing on PostgreSQL.
"""

from django.db import migrations

TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS catalog_product_fts_insert AFTER INSERT ON catalog_product BEGIN
        INSERT INTO catalog_product_fts (rowid, name, description, search_text)
        VALUES (new.id, new.name, new.description, new.search_text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS catalog_product_fts_delete AFTER DELETE ON catalog_product BEGIN
        INSERT INTO catalog_product_fts (catalog_product_fts, rowid, name, description, search_text)
        VALUES ('delete', old.id, old.name, old.description, old.search_text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS catalog_product_fts_update
    AFTER UPDATE OF name, description, search_text ON catalog_product BEGIN
        INSERT INTO catalog_product_fts (catalog_product_fts, rowid, name, description, search_text)
        VALUES ('delete', old.id, old.name, old.description, old.search_text);
        INSERT INTO catalog_product_fts (rowid, name, description, search_text)
        VALUES (new.id, new.name, new.description, new.search_text);
    END""",
]

FORWARDS = [
    """CREATE VIRTUAL TABLE catalog_product_fts USING fts5(
        name, description, search_text,
        content='catalog_product', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    )""",
    *TRIGGERS,
    "INSERT INTO catalog_product_fts (catalog_product_fts) VALUES ('rebuild')",
    "CREATE VIRTUAL TABLE catalog_product_fts_vocab USING fts5vocab(catalog_product_fts, row)",
]

BACKWARDS = [
    "DROP TABLE IF EXISTS catalog_product_fts_vocab",
    "DROP TRIGGER IF EXISTS catalog_product_fts_insert",
    "DROP TRIGGER IF EXISTS catalog_product_fts_delete",
    "DROP TRIGGER IF EXISTS catalog_product_fts_update",
    "DROP TABLE IF EXISTS catalog_product_fts",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        for statement in statements:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalog", "0005_search_postgresql")]

    operations = [migrations.RunPython(_run(FORWARDS), _run(BACKWARDS), elidable=False)]
