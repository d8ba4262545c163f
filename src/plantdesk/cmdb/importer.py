"""Bulk import of CIs and relationships (CSV or JSON): validate every row first, then write all or nothing.

CSV: one CI a row; columns are CI fields, `aliases` (separated by `;`), `attr:<name>` for class attributes
and `rel:<type>` for relationships from this CI (targets separated by `;`). Empty cells leave a field
as it is. JSON: {"cis": [{...CI fields, "aliases": [...], "attributes": {...}}],
"relationships": [{"source", "type", "target"}]}. Rows are upserted by name; aliases are replaced.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils import timezone

from plantdesk.accounts.models import User
from plantdesk.accounts.permissions import restrict
from plantdesk.cmdb.attributes import validate_attributes
from plantdesk.cmdb.choices import Status
from plantdesk.cmdb.fields import AUDITED, check_site, resolve_ci_fields
from plantdesk.cmdb.models import RECORD_TYPE, CIAlias, ConfigurationItem, Relationship
from plantdesk.cmdb.queries import relationship_types
from plantdesk.core import audit
from plantdesk.core.domain_events import changes_between, record_event
from plantdesk.core.errors import FieldError, Forbidden, InvalidInput

CHUNK = 2000
COPY_CHUNK = 20_000  # CIs per COPY on PostgreSQL: a progress step, and a bounded list of ids per query
Progress = Callable[[int], None]


@dataclass
class ImportRow:
    where: str  # "line 12" or "cis[11]": what an error message points at
    data: dict[str, Any]
    relationships: list[tuple[str, str]] = field(default_factory=list)  # (type, target)
    text_attributes: bool = False  # CSV cells: attribute values are typed by the class schema


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)  # name -> changed fields
    unchanged: int = 0
    relationships_added: int = 0
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (where, field, message)


class ImportRefused(InvalidInput):
    """The file has errors; nothing was written. `report.errors` names each row and field."""

    def __init__(self, report: ImportReport) -> None:
        first = report.errors[0]
        super().__init__(
            f"{len(report.errors)} error(s); nothing was imported. First: {first[0]}, {first[1]}: {first[2]}",
            [FieldError(f"{where}: {name}", message) for where, name, message in report.errors[:1000]],
        )
        self.report = report


def parse(content: str, fmt: str) -> list[ImportRow]:
    if fmt == "json":
        return _parse_json(content)
    if fmt == "csv":
        return _parse_csv(content)
    raise InvalidInput.for_field("format", "Use csv or json.")


def _parse_json(content: str) -> list[ImportRow]:
    try:
        document = json.loads(content)
    except json.JSONDecodeError as exc:
        raise InvalidInput.for_field(f"line {exc.lineno}", f"Not valid JSON: {exc.msg}.") from exc
    if not isinstance(document, dict) or not isinstance(document.get("cis", []), list):
        raise InvalidInput.for_field("cis", 'Expected {"cis": [...], "relationships": [...]}.')
    rows = [
        ImportRow(f"cis[{i}]", dict(item) if isinstance(item, dict) else {"?": item})
        for i, item in enumerate(document.get("cis", []))
    ]
    by_name = {str(r.data.get("name")): r for r in rows}
    relationships = document.get("relationships") or []
    if not isinstance(relationships, list):
        raise InvalidInput.for_field("relationships", "Must be a list of {source, type, target}.")
    for i, rel in enumerate(relationships):
        if not isinstance(rel, dict) or not all(isinstance(rel.get(k), str) for k in ("source", "type", "target")):
            raise InvalidInput.for_field(f"relationships[{i}]", "Needs source, type and target, each a name.")
        row = by_name.get(str(rel["source"]))
        if row is None:
            row = ImportRow(f"relationships[{i}]", {"name": rel["source"]})
            rows.append(row)
            by_name[str(rel["source"])] = row
        row.relationships.append((str(rel["type"]), str(rel["target"])))
    return rows


def _parse_csv(content: str) -> list[ImportRow]:
    reader = csv.DictReader(io.StringIO(content))
    rows = []
    for record in reader:
        data: dict[str, Any] = {}
        relationships: list[tuple[str, str]] = []
        attributes: dict[str, Any] = {}
        for column, value in record.items():
            if column is None or value is None or value == "":
                continue
            if column.startswith("rel:"):
                relationships += [(column[4:], t.strip()) for t in value.split(";") if t.strip()]
            elif column.startswith("attr:"):
                attributes[column[5:]] = value
            elif column == "aliases":
                data["aliases"] = [a.strip() for a in value.split(";") if a.strip()]
            else:
                data[column] = _cell_value(value) if column in _TYPED_COLUMNS else value
        if attributes:
            data["attributes"] = attributes
        rows.append(ImportRow(f"line {reader.line_num}", data, relationships, text_attributes=True))
    return rows


_TYPED_COLUMNS = {
    "gxp_relevant",
    "part11_applicable",
    "gamp_category",
    "security_level_target",
    "security_level_achieved",
}


def _cell_value(value: str) -> Any:
    """CSV cells are text; numbers and booleans are read as such (JSON literals)."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def do_import_cis(
    rows: list[ImportRow], *, actor: User, dry_run: bool = False, progress: Progress | None = None
) -> ImportReport:
    if not actor.is_fulfiller:
        raise Forbidden("Only agents and administrators change the CMDB.")
    report = ImportReport()
    existing = _existing([str(r.data.get("name", "")) for r in rows])
    plans = _validate(rows, existing, actor, report)
    if report.errors:
        raise ImportRefused(report)
    if dry_run:
        return _preview(plans, existing, actor, report)
    with audit.action_transaction():
        _write(plans, existing, actor, report, progress)
    return report


def _preview(
    plans: list[_Plan], existing: dict[str, ConfigurationItem], actor: User, report: ImportReport
) -> ImportReport:
    """What an import would do, computed on copies: new CIs, the fields that would change, and how many
    relationships would be added."""
    for plan in plans:
        name = str(plan.row.data["name"]).strip()
        current = existing.get(name)
        if current is None:
            report.created.append(name)
            continue
        changed = _changed_fields(current, plan.values, plan.aliases)
        if changed:
            report.updated[name] = changed
        else:
            report.unchanged += 1
    wanted = {(str(p.row.data["name"]).strip(), t, target) for p in plans for t, target in p.row.relationships}
    sources = [ci.pk for ci in existing.values()]
    present: set[tuple[str, str, str]] = set()
    for start in range(0, len(sources), CHUNK):
        rows = Relationship.objects.filter(source_id__in=sources[start : start + CHUNK])
        present.update(rows.values_list("source__name", "type__name", "target__name"))
    report.relationships_added = len(wanted - present)
    return report


def _changed_fields(current: ConfigurationItem, values: dict[str, Any], aliases: list[str] | None) -> list[str]:
    """The audited fields (and aliases) that `values` would change on `current`, computed on a copy."""
    changed_copy = copy.copy(current)
    for key, value in values.items():
        setattr(changed_copy, key, value)
    before, after = audit.snapshot(current, AUDITED), audit.snapshot(changed_copy, AUDITED)
    changed = [k for k in after if before[k] != after[k]]
    if aliases is not None and set(aliases) != set(current.aliases.values_list("value", flat=True)):
        changed.append("aliases")
    return changed


@dataclass
class _Plan:
    row: ImportRow
    values: dict[str, Any]
    aliases: list[str] | None


def _existing(names: list[str]) -> dict[str, ConfigurationItem]:
    found: dict[str, ConfigurationItem] = {}
    for start in range(0, len(names), CHUNK):
        chunk = names[start : start + CHUNK]
        found.update({c.name: c for c in ConfigurationItem.objects.filter(name__in=chunk).select_related("ci_class")})
    return found


def _changeable(actor: User, existing: dict[str, ConfigurationItem]) -> set[int]:
    """Ids of the existing CIs the actor may change (the permission scope, as for a single edit)."""
    ids = [ci.pk for ci in existing.values()]
    allowed: set[int] = set()
    for start in range(0, len(ids), CHUNK):
        scope = restrict(actor, "change", ConfigurationItem).filter(pk__in=ids[start : start + CHUNK])
        allowed.update(scope.values_list("pk", flat=True))
    return allowed


def _row_permission_errors(
    name: str, current: ConfigurationItem | None, values: dict[str, Any], aliases: list[str] | None,
    actor: User, changeable: set[int],
) -> list[FieldError]:  # fmt: skip
    """The rules of the single-CI actions, per row: site scope, and retiring only through its own action."""
    errors: list[FieldError] = []
    if current is not None and current.pk not in changeable:
        errors.append(FieldError("name", f"You may not change {name}: another site's or an administrator's CI."))
        return errors
    if current is None or "site" in values:
        check_site(values.get("site"), actor, errors)
    if values.get("status") == Status.RETIRED and (current is None or current.status != Status.RETIRED):
        errors.append(FieldError("status", "Retire a CI with its own action, which asks for a reason."))
    elif current is not None and current.status == Status.RETIRED and _changed_fields(current, values, aliases):
        errors.append(FieldError("name", f"{name} is retired and cannot be changed."))
    return errors


def _validate(
    rows: list[ImportRow], existing: dict[str, ConfigurationItem], actor: User, report: ImportReport
) -> list[_Plan]:
    changeable = _changeable(actor, existing)
    plans: list[_Plan] = []
    seen_names: set[str] = set()
    alias_owner: dict[str, str] = {}
    classes_of: dict[str, str] = {name: ci.ci_class.name for name, ci in existing.items()}
    for row in rows:
        errors: list[FieldError] = []
        name = str(row.data.get("name") or "").strip()
        if not name:
            errors.append(FieldError("name", "This field is required."))
        elif name in seen_names:
            errors.append(FieldError("name", f"{name!r} appears twice in the file."))
        seen_names.add(name)
        if name and name not in existing and "ci_class" not in row.data:
            errors.append(FieldError("ci_class", "Required for a new CI."))
        values = resolve_ci_fields(row.data, errors)
        aliases = values.pop("aliases", None)
        current = existing.get(name)
        if name and not errors:
            errors += _row_permission_errors(name, current, values, aliases, actor, changeable)
        ci_class = values.get("ci_class") or (current.ci_class if current else None)
        if ci_class is not None and row.text_attributes and "attributes" in values:
            values["attributes"] = _typed(ci_class.attribute_schema, values["attributes"])
        if ci_class is not None:
            classes_of[name] = ci_class.name
            if "attributes" in values or "ci_class" in values:
                errors += validate_attributes(ci_class.attribute_schema, values.get("attributes", {}))
        for alias in aliases or []:
            if alias_owner.setdefault(alias, name) != name:
                errors.append(FieldError("aliases", f"{alias!r} is also given to {alias_owner[alias]}."))
        report.errors += [(row.where, e.field, e.message) for e in errors]
        plans.append(_Plan(row, values, aliases))
    taken = _aliases_taken_elsewhere(alias_owner)
    for plan in plans:
        for alias in plan.aliases or []:
            if alias in taken and taken[alias] != plan.row.data.get("name"):
                report.errors.append((plan.row.where, "aliases", f"{alias!r} is already an alias of {taken[alias]}."))
    retired = {name for name, ci in existing.items() if ci.status == Status.RETIRED}
    _validate_relationships(plans, classes_of, retired, actor, report)
    return plans


def _exists(source: str, type_name: str, target: str) -> bool:
    """One query, asked only for relationships touching a retired CI (an export of them imports back)."""
    return Relationship.objects.filter(source__name=source, type__name=type_name, target__name=target).exists()


def _typed(schema: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Read CSV text as the type the class schema declares; what does not parse stays text (and is refused)."""
    typed: dict[str, Any] = {}
    for name, value in values.items():
        kind = schema.get(name, {}).get("type", "string")
        typed[name] = value
        if kind in ("integer", "number", "boolean"):
            parsed = _cell_value(value)
            if (kind == "boolean" and isinstance(parsed, bool)) or (kind != "boolean" and not isinstance(parsed, bool)):
                typed[name] = parsed
    return typed


def _aliases_taken_elsewhere(alias_owner: dict[str, str]) -> dict[str, str]:
    taken: dict[str, str] = {}
    aliases = list(alias_owner)
    for start in range(0, len(aliases), CHUNK):
        rows = CIAlias.objects.filter(value__in=aliases[start : start + CHUNK]).values_list("value", "ci__name")
        taken.update(dict(rows))
    return taken


def _validate_relationships(
    plans: list[_Plan], classes_of: dict[str, str], retired: set[str], actor: User, report: ImportReport
) -> None:
    """Types, class rules and targets; a target outside the file must be a CI the actor can see."""
    types = relationship_types()
    targets = list({target for p in plans for _, target in p.row.relationships} - set(classes_of))
    visible = restrict(actor, "view", ConfigurationItem)
    for start in range(0, len(targets), CHUNK):
        rows = visible.filter(name__in=targets[start : start + CHUNK]).values_list("name", "ci_class__name", "status")
        for name, class_name, status in rows:
            classes_of[name] = class_name
            if status == Status.RETIRED:
                retired.add(name)
    for plan in plans:
        source = str(plan.row.data.get("name"))
        for type_name, target in plan.row.relationships:
            rel_type = types.get(type_name)
            problem = ""
            if rel_type is None:
                problem = f"Unknown relationship type {type_name!r}."
            elif target not in classes_of:
                problem = f"Unknown CI {target!r}."
            elif target == source:
                problem = "A CI cannot relate to itself."
            elif (target in retired or source in retired) and not _exists(source, type_name, target):
                problem = f"{target if target in retired else source} is retired and takes no new relationships."
            elif rel_type.source_classes and classes_of.get(source) not in rel_type.source_classes:
                problem = f"'{type_name}' starts at {', '.join(rel_type.source_classes)}."
            elif rel_type.target_classes and classes_of[target] not in rel_type.target_classes:
                problem = f"'{type_name}' points to {', '.join(rel_type.target_classes)}."
            if problem:
                report.errors.append((plan.row.where, f"rel:{type_name}", problem))


IMPORTED = {"via": "import"}


def _write(
    plans: list[_Plan],
    existing: dict[str, ConfigurationItem],
    actor: User,
    report: ImportReport,
    progress: Progress | None,
) -> None:
    now = timezone.now()
    new_cis: list[ConfigurationItem] = []
    for plan in plans:
        name = str(plan.row.data["name"]).strip()
        current = existing.get(name)
        if current is None:
            new_cis.append(ConfigurationItem(created_at=now, updated_at=now, **plan.values))
            continue
        before = audit.snapshot(current, AUDITED)
        for key, value in plan.values.items():
            setattr(current, key, value)
        after = audit.snapshot(current, AUDITED)
        changed = audit.record_changes(
            actor=actor, obj=current, record_type=RECORD_TYPE, before=before, after=after, action="imported"
        )
        if changed:
            current.updated_at = now
            current.save()
            report.updated[name] = changed
            record_event(f"{RECORD_TYPE}.updated", record_type=RECORD_TYPE, record=current, actor=actor,
                         changes=changes_between(before, after, changed), data=IMPORTED)  # fmt: skip
        else:
            report.unchanged += 1
    created = _create_cis(new_cis, progress)
    for ci in created:
        report.created.append(ci.name)
        initial = {k: audit.as_text(getattr(ci, k)) for k in AUDITED if getattr(ci, k, None) not in (None, "", False)}
        _audit(actor, ci.pk, ci.name, "imported", new=json.dumps(initial, ensure_ascii=False))
        record_event(f"{RECORD_TYPE}.created", record_type=RECORD_TYPE, record=ci, actor=actor,
                     changes=changes_between({}, initial), data=IMPORTED)  # fmt: skip
    ids = {c.name: c.pk for c in created} | {name: ci.pk for name, ci in existing.items()}
    _write_aliases(plans, ids)
    existed = {ci.pk for ci in existing.values()}
    report.relationships_added = _write_relationships(plans, ids, existed, actor)


def _create_cis(cis: list[ConfigurationItem], progress: Progress | None) -> list[ConfigurationItem]:
    if connection.vendor == "postgresql":
        for start in range(0, len(cis), COPY_CHUNK):
            _copy_cis(cis[start : start + COPY_CHUNK])
            if progress:
                progress(min(start + COPY_CHUNK, len(cis)))
        return cis
    for start in range(0, len(cis), CHUNK):
        ConfigurationItem.objects.bulk_create(cis[start : start + CHUNK])
        if progress:
            progress(min(start + CHUNK, len(cis)))
    return _ids_for(cis)


def _copy_cis(cis: list[ConfigurationItem]) -> None:
    """New CIs with COPY (PostgreSQL), their ids drawn from the table's sequence first.

    bulk_create spent most of its time composing multi-row INSERTs with tens of thousands of
    placeholders; COPY streams the same values, prepared by the same fields.
    """
    table = ConfigurationItem._meta.db_table
    fields = ConfigurationItem._meta.concrete_fields
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(cis)]
        )
        for ci, (pk,) in zip(cis, cursor.fetchall(), strict=True):
            ci.pk = pk
        columns = ", ".join(str(f.column) for f in fields)
        prepared: list[dict[tuple[type, Any], Any]] = [{} for _ in fields]
        per_field = list(zip(fields, prepared, strict=True))
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for ci in cis:
                copy.write_row([_db_value(f, getattr(ci, f.attname), seen) for f, seen in per_field])
                ci._state.adding, ci._state.db = False, connection.alias


def _db_value(field: Any, value: Any, seen: dict[tuple[type, Any], Any]) -> Any:
    """The field's database value, prepared once per distinct value: most columns of an import hold
    the same few values (defaults, the class, the time of the import)."""
    try:
        return seen[(type(value), value)]
    except KeyError:
        prepared = seen[(type(value), value)] = field.get_db_prep_save(value, connection)
        return prepared
    except TypeError:  # unhashable (JSON): prepared each time
        return field.get_db_prep_save(value, connection)


def _ids_for(cis: Iterable[ConfigurationItem]) -> list[ConfigurationItem]:
    """bulk_create sets primary keys on PostgreSQL and SQLite >= 3.35; read them back if not."""
    cis = list(cis)
    if all(c.pk for c in cis):
        return cis
    by_name = _existing([c.name for c in cis])
    return [by_name[c.name] for c in cis]


def _write_aliases(plans: list[_Plan], ids: dict[str, int]) -> None:
    replaced = [p for p in plans if p.aliases is not None]
    owners = [ids[str(p.row.data["name"]).strip()] for p in replaced]
    for start in range(0, len(owners), CHUNK):
        CIAlias.objects.filter(ci_id__in=owners[start : start + CHUNK]).delete()
    CIAlias.objects.bulk_create(
        [CIAlias(ci_id=ids[str(p.row.data["name"]).strip()], value=a) for p in replaced for a in p.aliases or []],
        batch_size=CHUNK,
    )


def _write_relationships(plans: list[_Plan], ids: dict[str, int], existed: set[int], actor: User) -> int:
    """Add the relationships not present yet; `existed`: ids of the CIs that existed before this import
    (only they can have relationships already)."""
    types = relationship_types()
    wanted = {(str(p.row.data["name"]).strip(), t, target) for p in plans for t, target in p.row.relationships}
    target_ids = ids | _ids_of({target for _, _, target in wanted} - ids.keys())
    keys = {(ids[s], types[t].pk, target_ids[target]): (s, t, target) for s, t, target in wanted}
    present: set[tuple[int, int, int]] = set()
    sources = list({k[0] for k in keys} & existed)
    for start in range(0, len(sources), CHUNK):
        rows = Relationship.objects.filter(source_id__in=sources[start : start + CHUNK])
        present.update(rows.values_list("source_id", "type_id", "target_id"))
    new = [k for k in keys if k not in present]
    _create_relationships(new)
    for key in new:
        source, type_name, target = keys[key]
        _audit(actor, key[0], source, "relationship_added", field="relationship", new=f"{source} {type_name} {target}")
    return len(new)


def _ids_of(names: Iterable[str]) -> dict[str, int]:
    """Ids by name, without loading whole CIs."""
    found: dict[str, int] = {}
    names = list(names)
    for start in range(0, len(names), CHUNK):
        found.update(ConfigurationItem.objects.filter(name__in=names[start : start + CHUNK]).values_list("name", "pk"))
    return found


def _create_relationships(keys: list[tuple[int, int, int]]) -> None:
    """(source, type, target) rows: COPY on PostgreSQL (see _copy_cis), bulk_create elsewhere."""
    if connection.vendor != "postgresql":
        Relationship.objects.bulk_create(
            [Relationship(source_id=s, type_id=t, target_id=target) for s, t, target in keys], batch_size=CHUNK
        )
        return
    now = timezone.now()
    table = Relationship._meta.db_table
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} (source_id, type_id, target_id, created_at) FROM STDIN") as copy,
    ):
        for source, type_id, target in keys:
            copy.write_row((source, type_id, target, now))


def _audit(actor: User, ci_id: int, name: str, action: str, **kwargs: Any) -> None:
    audit.record(actor=actor, record_type=RECORD_TYPE, record_id=ci_id, record_label=name, action=action, **kwargs)
