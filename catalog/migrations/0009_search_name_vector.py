"""The search's first probe on PostgreSQL (the products whose name has every word, see
catalog/search.py) reads its own GIN index of the names' words.

`search_vector` marks the name's words with weight A, but a GIN index cannot tell weights
apart: a probe for `pulpas:A` read every product whose text says "pulpas" anywhere (every
product of a cooperative known for its pulps) and checked each row's weights, and the planner,
which cannot estimate weights either, walked the whole table for a word common outside names.
An index of `to_tsvector('minga_search', name)` answers "in the name" from the index, with
statistics of its own. This migration does nothing on SQLite (its FTS5 index has a name
column).
"""

from django.db import migrations

from catalog.migrations._postgresql import postgresql_only

FORWARDS = [
    "CREATE INDEX catalog_product_name_vector ON catalog_product "
    "USING gin (to_tsvector('minga_search'::regconfig, name))",
    "ANALYZE catalog_product",
]

BACKWARDS = ["DROP INDEX IF EXISTS catalog_product_name_vector"]


class Migration(migrations.Migration):
    dependencies = [("catalog", "0008_search_vocabulary")]

    operations = [postgresql_only(FORWARDS, BACKWARDS)]
