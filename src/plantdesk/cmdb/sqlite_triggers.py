"""SQLite rebuilds a table to alter one of its columns (copy, drop, rename), and the triggers of the
dropped table go with it. The graph-version triggers (migration 0004) are put back after every
`migrate`, so a later migration that alters cmdb_relationship or cmdb_configurationitem cannot
silently leave impact analysis with a graph that never looks stale.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.db import connections

GRAPH_MIGRATION = "plantdesk.cmdb.migrations.0004_graph_version"


def restore_graph_triggers(sender: Any, using: str = "default", **kwargs: Any) -> None:
    connection = connections[using]
    if connection.vendor != "sqlite" or "cmdb_graph_version" not in connection.introspection.table_names():
        return
    statements: list[str] = importlib.import_module(GRAPH_MIGRATION).SQLITE
    with connection.cursor() as cursor:
        for sql in statements:
            if sql.startswith("CREATE TRIGGER "):
                cursor.execute(sql.replace("CREATE TRIGGER ", "CREATE TRIGGER IF NOT EXISTS ", 1))
