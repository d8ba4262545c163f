"""Signatures stay bound to the record they were given on (21 CFR 11.70): the binding columns cannot be
rewritten and rows cannot be deleted, whatever code or tool writes. Only invalidation may update a row."""

from django.db import migrations

BOUND = ("record_type", "record_id", "record_label", "signer_id", "username", "printed_name", "meaning",
         "purpose", "comment", "signed_at", "signed_fields", "record_hash", "manifest_hash")  # fmt: skip

SQLITE_UP = [
    "CREATE TRIGGER core_signature_bound BEFORE UPDATE ON core_signature WHEN "
    + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in BOUND)
    + " OR (OLD.valid = 0 AND NEW.valid = 1)"
    + " BEGIN SELECT RAISE(ABORT, 'signatures are bound to their record: UPDATE refused'); END",
    """CREATE TRIGGER core_signature_no_delete BEFORE DELETE ON core_signature
       BEGIN SELECT RAISE(ABORT, 'signatures are kept: DELETE refused'); END""",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS core_signature_bound", "DROP TRIGGER IF EXISTS core_signature_no_delete"]
POSTGRES_UP = [
    """CREATE OR REPLACE FUNCTION plantdesk_guard_signature() RETURNS trigger AS $$
       BEGIN
         IF TG_OP <> 'UPDATE' OR """
    + " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in BOUND)
    + """ OR (NOT OLD.valid AND NEW.valid) THEN
           RAISE EXCEPTION 'signatures are bound to their record: % refused', TG_OP
             USING ERRCODE = 'insufficient_privilege';
         END IF;
         RETURN NEW;
       END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER core_signature_bound BEFORE UPDATE OR DELETE ON core_signature
       FOR EACH ROW EXECUTE FUNCTION plantdesk_guard_signature()""",
    """CREATE TRIGGER core_signature_no_truncate BEFORE TRUNCATE ON core_signature
       FOR EACH STATEMENT EXECUTE FUNCTION plantdesk_refuse_audit_change()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS core_signature_bound ON core_signature",
    "DROP TRIGGER IF EXISTS core_signature_no_truncate ON core_signature",
    "DROP FUNCTION IF EXISTS plantdesk_guard_signature()",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("core", "0004_signature")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        ),
    ]
