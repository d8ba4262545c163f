"""A version stamp of the relationship graph, changed by triggers (cmdb/impact.py reads it).

Processes keep the graph in memory for impact analysis and use it only while the version they loaded is
the current one. Triggers, not application code, bump it, so every writer counts: actions, the importer,
cascading deletes, the admin, a shell. Bumped on every relationship insert, update, delete or truncate
(once per statement on PostgreSQL) and on a CI's rename or class change (names and classes are cached
too). New CIs need no bump: until a relationship reaches them no walk can.

The new value is never one seen before, even after a rollback (a sequence on PostgreSQL, a random
64-bit number on SQLite): a graph loaded inside a transaction that then rolled back can never look
current again because later writes happened to bump a counter back to the same number.
"""

from django.db import migrations

POSTGRESQL = [
    "CREATE SEQUENCE cmdb_graph_version_seq",
    "CREATE TABLE cmdb_graph_version (id integer PRIMARY KEY, version bigint NOT NULL)",
    "INSERT INTO cmdb_graph_version (id, version) VALUES (1, nextval('cmdb_graph_version_seq'))",
    """CREATE FUNCTION cmdb_bump_graph_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE cmdb_graph_version SET version = nextval('cmdb_graph_version_seq') WHERE id = 1;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER cmdb_relationship_graph_version
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cmdb_relationship
    FOR EACH STATEMENT EXECUTE FUNCTION cmdb_bump_graph_version()""",
    """CREATE TRIGGER cmdb_ci_graph_version AFTER UPDATE ON cmdb_configurationitem
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.ci_class_id IS DISTINCT FROM NEW.ci_class_id)
    EXECUTE FUNCTION cmdb_bump_graph_version()""",
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS cmdb_ci_graph_version ON cmdb_configurationitem",
    "DROP TRIGGER IF EXISTS cmdb_relationship_graph_version ON cmdb_relationship",
    "DROP FUNCTION IF EXISTS cmdb_bump_graph_version()",
    "DROP TABLE IF EXISTS cmdb_graph_version",
    "DROP SEQUENCE IF EXISTS cmdb_graph_version_seq",
]

_BUMP = "BEGIN UPDATE cmdb_graph_version SET version = random() WHERE id = 1; END"
SQLITE = [
    "CREATE TABLE cmdb_graph_version (id integer PRIMARY KEY, version bigint NOT NULL)",
    "INSERT INTO cmdb_graph_version (id, version) VALUES (1, random())",
    f"CREATE TRIGGER cmdb_relationship_graph_version_ins AFTER INSERT ON cmdb_relationship {_BUMP}",
    f"CREATE TRIGGER cmdb_relationship_graph_version_upd AFTER UPDATE ON cmdb_relationship {_BUMP}",
    f"CREATE TRIGGER cmdb_relationship_graph_version_del AFTER DELETE ON cmdb_relationship {_BUMP}",
    f"""CREATE TRIGGER cmdb_ci_graph_version AFTER UPDATE OF name, ci_class_id ON cmdb_configurationitem
    WHEN OLD.name IS NOT NEW.name OR OLD.ci_class_id IS NOT NEW.ci_class_id {_BUMP}""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS cmdb_ci_graph_version",
    "DROP TRIGGER IF EXISTS cmdb_relationship_graph_version_del",
    "DROP TRIGGER IF EXISTS cmdb_relationship_graph_version_upd",
    "DROP TRIGGER IF EXISTS cmdb_relationship_graph_version_ins",
    "DROP TABLE IF EXISTS cmdb_graph_version",
]


def _run(schema_editor, statements):
    for sql in statements:
        schema_editor.execute(sql)


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    _run(schema_editor, POSTGRESQL if vendor == "postgresql" else SQLITE)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    _run(schema_editor, POSTGRESQL_REVERSE if vendor == "postgresql" else SQLITE_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("cmdb", "0003_impact_cover_index")]

    operations = [migrations.RunPython(forwards, backwards)]
