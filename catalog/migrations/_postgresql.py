"""Shared by the catalogue's PostgreSQL-only migrations (0005, 0008, 0009): not a migration
itself (Django skips modules whose name starts with an underscore).

Each of those migrations is a list of SQL statements forwards and one backwards, run on
PostgreSQL and skipped on SQLite, whose search has its own migrations (FTS5).
"""

from django.db import migrations


def postgresql_only(forwards: list[str], backwards: list[str]) -> migrations.RunPython:
    """One operation that runs `forwards` (or, unapplied, `backwards`) on PostgreSQL only."""

    def run(statements):
        def apply(apps, schema_editor):
            if schema_editor.connection.vendor != "postgresql":
                return
            for statement in statements:
                schema_editor.execute(statement, params=None)

        return apply

    return migrations.RunPython(run(forwards), run(backwards), elidable=False)
