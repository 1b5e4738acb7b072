"""Importing regions and contacts from CSV files, all or nothing.

An import validates every row before it writes anything: one bad row rejects the whole file, and
the error names each bad row as a spreadsheet shows it (the header is row 1). A preview (dry run)
lists the organizations the file would create, each with the existing organizations of its type and
region whose names are close to its own (a typo such as "Bakersfeld College"), which the import can
be told to use instead (ImportContacts.use_existing).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from email_validator import EmailNotValidError
from rapidfuzz import fuzz, process, utils
from sqlalchemy import Integer, String, any_, bindparam, delete, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from wfsurvey.bulk import insert_rows
from wfsurvey.domain import commands as cmd
from wfsurvey.domain import events as ev
from wfsurvey.domain.errors import DomainError
from wfsurvey.domain.stakeholders import ORG_TYPES, EmailNormalizer, clean_text, slugify
from wfsurvey.domain.text import text_problem
from wfsurvey.models.stakeholders import Contact, Organization, Region, organization_regions
from wfsurvey.services.stakeholders import MAX_LENGTHS, RegionIndex, default_scheme, org_key, region_problems
from wfsurvey.services.unit_of_work import AbstractUnitOfWork

#: Columns a contacts file must have (title may be left out: titles are then kept as they are).
REQUIRED_COLUMNS = ("organization", "org_type", "region", "name", "email")
CONTACT_COLUMNS = REQUIRED_COLUMNS + ("title",)
#: Other spellings of the columns that spreadsheets commonly carry.
COLUMN_ALIASES = {
    "organisation": "organization",
    "org": "organization",
    "type": "org_type",
    "organization_type": "org_type",
    "organisation_type": "org_type",
    "regions": "region",
    "contact_name": "name",
    "contact": "name",
    "email_address": "email",
    "e-mail": "email",
}
REGION_SEPARATOR = ";"
#: How alike (0–100, rapidfuzz's ratio of the names lower-cased, punctuation aside) a new organization's name and an
#: existing one's must be for the preview to ask whether they are the same: "Bakersfeld College" and "Bakersfield
#: College" score 97, "College of the Canyons" and "College of Canyons" 90, "Riverside City College" and "Riverside
#: College" 87 (two colleges).
SIMILAR_NAME_SCORE = 88
#: Existing organizations listed per new one, best first.
SIMILAR_LISTED = 3
#: IN-lists are sent in chunks of this size (well under every backend's parameter limit).
CHUNK = 900
#: Values per array when PostgreSQL looks up the rows an import just wrote.
ARRAY_CHUNK = 20000
#: Rows per INSERT of an import (wfsurvey.bulk.insert_rows: one statement each).
WRITE_CHUNK = 5000
_ORG_REGIONS = organization_regions
_CONTACTS = Contact.__table__
#: A changed contact, by id: its name and title as the file has them (one executemany for all).
_UPDATE_CONTACT = (
    update(_CONTACTS).where(_CONTACTS.c.id == bindparam("contact_id"))
    .values(name=bindparam("new_name"), title=bindparam("new_title"), updated_at=bindparam("now"))
)

RowError = dict[str, Any]
Progress = Callable[[int], Any]


class ImportRejected(DomainError):
    """A file with at least one bad row: nothing was imported. `fields["rows"]` lists every problem."""

    code = "invalid"

    def __init__(self, rows: list[RowError], message: str | None = None):
        rows = sorted(rows, key=lambda e: (e["row"], e["column"]))
        count = len({e["row"] for e in rows})
        super().__init__(
            message or f"{count} row{'s' if count != 1 else ''} with problems; nothing was imported",
            fields={"rows": rows},
        )
        self.rows = rows


@dataclass(frozen=True)
class Similar:
    """An existing organization whose name is close to a new one's, of the same type and in one of its regions."""

    id: int
    name: str
    #: rapidfuzz ratio, 0–100.
    score: float


@dataclass(frozen=True)
class NewOrganization:
    """An organization the file creates (or would): as the file names it, its type and regions, the rows naming it, and
    existing organizations it may be a misspelling of (listed by a dry run only)."""

    name: str
    org_type: str
    #: Region codes.
    regions: tuple[str, ...]
    rows: tuple[int, ...]
    similar: tuple[Similar, ...] = ()
    #: The regions' names, for people.
    region_names: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "org_type": self.org_type, "regions": list(self.regions), "rows": list(self.rows),
                "similar": [{"id": s.id, "name": s.name, "score": s.score} for s in self.similar]}


@dataclass(frozen=True)
class ImportResult:
    """What an import did (or, in a dry run, would do), counted per contact row, and the organizations it creates."""

    created: int
    updated: int
    unchanged: int
    organizations_created: int = 0
    organizations_updated: int = 0
    dry_run: bool = False
    #: New organizations, those with a similar existing name first, then in the file's order.
    new_organizations: tuple[NewOrganization, ...] = ()
    #: (name as the file spells it, the existing organization used instead, its id), from ImportContacts.use_existing.
    used_existing: tuple[tuple[str, str, int], ...] = ()

    @property
    def warnings(self) -> list[NewOrganization]:
        return [o for o in self.new_organizations if o.similar]

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "organizations_created": self.organizations_created,
            "organizations_updated": self.organizations_updated,
            "dry_run": self.dry_run,
            "new_organizations": [o.as_dict() for o in self.new_organizations],
            "used_existing": [{"name": name, "existing": existing, "id": org_id} for name, existing, org_id in self.used_existing],
        }


@dataclass(frozen=True)
class RegionsImportResult:
    created: int
    renamed: int
    unchanged: int


# --- small helpers ------------------------------------------------------------------------------

def _csv_rows(text: str) -> Iterable[list[str]]:
    """The rows of a CSV text; ImportRejected naming the row when the CSV cannot be read, in words people know."""
    reader = csv.reader(io.StringIO(text))
    number = 0  # the last row read whole; a csv.Error is about the next one
    try:
        for number, cells in enumerate(reader, start=1):
            yield cells
    except csv.Error as exc:
        if "new-line character" in str(exc) and "\n" not in text:
            message = ("the lines of this file end with a carriage return only (old Mac line endings): open it in "
                       "a spreadsheet, save it as “CSV UTF-8” and try again")
        elif "new-line character" in str(exc):
            message = ("a line break inside a cell is a lone carriage return: put the cell in double quotes, or save "
                       "the file again as “CSV UTF-8”")
        else:
            message = f"unreadable CSV: {exc}"
        raise ImportRejected([{"row": number + 1, "column": "", "message": message}],
                             message="the file could not be read as CSV; nothing was imported") from None


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _one_of(session: Session, column: Any, values: Sequence[Any]) -> Any:
    """`column IN values`; on PostgreSQL as `= ANY(one array)`, which the planner can hash.

    An IN-list of separate parameters is compared element by element when PostgreSQL picks a
    sequential scan (right after a big import, before statistics catch up): 900 x 10,000 comparisons.
    """
    if session.get_bind().dialect.name == "postgresql":
        kind = Integer() if all(isinstance(v, int) for v in values) else String()
        return column == any_(bindparam(None, list(values), type_=ARRAY(kind)))
    return column.in_(values)


# --- regions ------------------------------------------------------------------------------------

def import_regions(command: cmd.ImportRegions, uow: AbstractUnitOfWork) -> RegionsImportResult:
    """Create the regions of a list (code optional: the slug of the name); existing codes get renamed if needed.

    Rows are numbered as in the CSV they came from (header = row 1). One bad row rejects all.
    """
    scheme = command.scheme or default_scheme()
    session = uow.session
    existing = {r.code: r for r in session.scalars(select(Region).where(Region.scheme == scheme))}
    errors: list[RowError] = []
    wanted: dict[str, tuple[int, str]] = {}
    names: dict[str, int] = {}
    for number, raw in enumerate(command.rows, start=2):
        name = clean_text(raw.get("name"))
        code = (raw.get("code") or "").strip().lower() or slugify(name)
        problems = region_problems(code, name)
        for column, message in problems.items():
            errors.append({"row": number, "column": column, "message": message})
        if problems:
            continue
        if code in wanted:
            errors.append({"row": number, "column": "code", "message": f"{code} is already on row {wanted[code][0]}"})
            continue
        if name.casefold() in names:
            errors.append({"row": number, "column": "name", "message": f"{name!r} is already on row {names[name.casefold()]}"})
            continue
        wanted[code] = (number, name)
        names[name.casefold()] = number
    # A name may only move to a code that the database does not give to another region.
    for code, (number, name) in wanted.items():
        for other in existing.values():
            if other.code != code and other.name.casefold() == name.casefold() and other.code not in wanted:
                errors.append({"row": number, "column": "name",
                               "message": f"{name!r} is already the name of region {other.code}"})
    if errors:
        raise ImportRejected(errors)

    created = renamed = unchanged = 0
    new_regions = []
    for code, (_number, name) in wanted.items():
        region = existing.get(code)
        if region is None:
            region = Region(scheme=scheme, code=code, name=name, created_at=uow.now)
            session.add(region)
            new_regions.append(region)
            created += 1
        elif region.name != name:
            region.name = name
            session.flush()
            uow.record(ev.RegionRenamed(region_id=region.id, name=name))
            renamed += 1
        else:
            unchanged += 1
    session.flush()
    for region in new_regions:
        uow.record(ev.RegionCreated(region_id=region.id, scheme=scheme, code=region.code, name=region.name))
    return RegionsImportResult(created=created, renamed=renamed, unchanged=unchanged)


def read_regions_csv(text: str) -> list[dict[str, str]]:
    """Rows of a regions CSV (columns `name` and optionally `code`); ImportRejected if the header is wrong."""
    reader = iter(_csv_rows(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in next(reader, [])]
    if "name" not in header:
        raise ImportRejected([{"row": 1, "column": "name", "message": "the header must have a name column (and optionally code)"}])
    rows, errors = [], []
    for number, cells in enumerate(reader, start=2):
        values = dict(zip(header, cells))
        for column in ("code", "name"):
            problem = text_problem(values.get(column, ""))
            if problem:
                errors.append({"row": number, "column": column, "message": problem})
        rows.append({"code": values.get("code", ""), "name": values.get("name", "")})
    if errors:
        raise ImportRejected(errors)
    return rows

# --- contacts import ----------------------------------------------------------------------------

@dataclass
class _Row:
    """One data row of a contacts file; a cell that failed its own check is None, so that checks
    across rows and against the database still run on the rest (and report everything at once)."""

    number: int
    organization: str
    org_type: str | None
    region_ids: frozenset[int] | None
    name: str
    email: str | None
    title: str | None  # also None when the file has no title column: keep what is stored
    _key: str = field(default="", init=False, repr=False)
    _key_of: str | None = field(default=None, init=False, repr=False)

    @property
    def org_key(self) -> str:
        """The organization's name as organizations are matched: worked out once per name, since every step of an
        import asks (and a row pointed at an existing organization, see _use_existing, gets that one's)."""
        if self._key_of is not self.organization:
            self._key, self._key_of = org_key(self.organization), self.organization
        return self._key


class _Org(NamedTuple):
    """An organization the file names that the database has: what the checks and the changes need."""

    id: int
    name: str
    org_type: str
    region_ids: frozenset[int]


class _Contact(NamedTuple):
    """A contact the file names (by email) that the database has."""

    id: int
    name: str
    title: str
    organization_id: int
    organization_name: str


@dataclass
class _Plan:
    """What an import will write, worked out before anything is written."""

    rows: list[_Row] = field(default_factory=list)
    #: org key -> the existing organization, for those the file names.
    orgs: dict[str, _Org] = field(default_factory=dict)
    #: email -> the existing contact, for the emails in the file.
    contacts: dict[str, _Contact] = field(default_factory=dict)


@dataclass(frozen=True)
class ParsedFile:
    """A contacts file split into cells: known column -> position, the header's width, and the data rows."""

    columns: dict[str, int]
    width: int
    #: (row number as a spreadsheet shows it, cells).
    rows: list[tuple[int, list[str]]]


def read_contacts_csv(csv_text: str) -> ParsedFile:
    """Split a contacts file into cells and check its header; ImportRejected if the header is wrong."""
    text = csv_text.lstrip("\ufeff")
    if not text.strip():
        raise ImportRejected([{"row": 1, "column": "", "message":
                               "the file is empty: expected the header " + ",".join(CONTACT_COLUMNS)}])
    reader = iter(_csv_rows(text))
    header_cells = next(reader)
    rows = list(enumerate(reader, start=2))

    header: dict[str, int] = {}
    errors: list[RowError] = []
    for position, cell in enumerate(header_cells):
        column = cell.strip().lower().replace(" ", "_")
        column = COLUMN_ALIASES.get(column, column)
        if column in CONTACT_COLUMNS:
            if column in header:
                errors.append({"row": 1, "column": column, "message": f"the column {column} appears twice"})
            header[column] = position
    for column in REQUIRED_COLUMNS:
        if column not in header:
            errors.append({"row": 1, "column": column, "message":
                           f"missing column {column}: the header must be " + ",".join(CONTACT_COLUMNS)})
    if errors:
        raise ImportRejected(errors, message="the header row is wrong; nothing was imported")
    return ParsedFile(columns=header, width=len(header_cells), rows=rows)


def _validate_rows(
    parsed: ParsedFile, regions: RegionIndex, errors: list[RowError], progress: Progress | None,
) -> list[_Row]:
    rows: list[_Row] = []
    step = 250
    normalize_email = EmailNormalizer()
    for done, (number, cells) in enumerate(parsed.rows, start=1):
        if progress is not None and done % step == 0:
            progress(step)
        if any(c.strip() for c in cells):  # a blank line is a spreadsheet's empty row: skipped
            rows.append(_check_row(number, cells, parsed, regions, errors, normalize_email))
    if progress is not None and len(parsed.rows) % step:
        progress(len(parsed.rows) % step)
    return rows


def _check_row(number: int, cells: list[str], parsed: ParsedFile, regions: RegionIndex, errors: list[RowError],
               normalize_email: Callable[[str], str]) -> _Row:
    """The checks one row needs on its own; problems go to `errors`, failed cells become None."""

    def error(column: str, message: str) -> None:
        errors.append({"row": number, "column": column, "message": message})

    columns = parsed.columns
    raw = {column: cells[columns[column]] if column in columns and columns[column] < len(cells) else ""
           for column in CONTACT_COLUMNS}
    refused = set()
    for column, cell in raw.items():
        problem = text_problem(cell)
        if problem:
            error(column, problem)
            refused.add(column)
    # A refused cell is reported once; the other checks go on without it.
    values = {column: "" if column in refused else clean_text(cell) for column, cell in raw.items()}
    for column in REQUIRED_COLUMNS:
        if not values[column] and column not in refused:
            error(column, f"{column} is required")
    for column, limit in MAX_LENGTHS.items():
        if len(values[column]) > limit:
            error(column, f"too long ({len(values[column])} characters, at most {limit})")
    org_type: str | None = values["org_type"].lower() or None
    if org_type and org_type not in ORG_TYPES:
        error("org_type", f"unknown organization type {values['org_type']!r}: use one of {', '.join(ORG_TYPES)}")
        org_type = None
    email = None
    if values["email"]:
        try:
            email = normalize_email(values["email"])
        except EmailNotValidError as exc:
            error("email", f"{values['email']!r} is not a valid email address: {exc}")
    region_ids: frozenset[int] | None = None
    if values["region"]:
        parts = [p.strip() for p in values["region"].split(REGION_SEPARATOR) if p.strip()]
        found = [regions.find(part) for part in parts]
        for part, region in zip(parts, found):
            if region is None:
                error("region", f"unknown region {part!r}; known: {', '.join(regions.codes()) or 'none loaded'}")
        if not parts:
            error("region", "region is required")
        elif all(found):
            region_ids = frozenset(r.id for r in found)
    if any(c.strip() for c in cells[parsed.width:]):
        error("", f"this row has {len(cells)} cells but the header only {parsed.width} (a comma inside an unquoted cell?)")
    return _Row(number, values["organization"], org_type, region_ids, values["name"], email,
                values["title"] if "title" in columns else None)


def _check_file_consistency(rows: list[_Row], regions: RegionIndex, errors: list[RowError]) -> None:
    """Problems that need more than one row: duplicate emails, an organization given two types or region sets."""
    by_email: dict[str, list[_Row]] = {}
    for row in rows:
        if row.email:
            by_email.setdefault(row.email, []).append(row)
    for email, same in by_email.items():
        if len(same) > 1:
            numbers = [r.number for r in same]
            for row in same:
                others = ", ".join(str(n) for n in numbers if n != row.number)
                errors.append({"row": row.number, "column": "email",
                               "message": f"{email} appears more than once in the file (also on row {others})"})
    first_typed: dict[str, _Row] = {}
    first_placed: dict[str, _Row] = {}
    for row in rows:
        if not row.organization:
            continue
        first = first_typed.setdefault(row.org_key, row) if row.org_type else row
        if row.org_type != first.org_type:
            errors.append({"row": row.number, "column": "org_type", "message":
                           f"{row.organization!r} is {first.org_type} on row {first.number} but {row.org_type} here"})
        first = first_placed.setdefault(row.org_key, row) if row.region_ids is not None else row
        if row.region_ids != first.region_ids:
            errors.append({"row": row.number, "column": "region", "message":
                           f"{row.organization!r} has regions {_codes(first.region_ids, regions)} on row "
                           f"{first.number} but {_codes(row.region_ids, regions)} here"})


def _codes(region_ids: Iterable[int], regions: RegionIndex) -> str:
    return ";".join(sorted(regions.by_id[i].code for i in region_ids)) or "(none)"


def _load_existing(session: Session, rows: list[_Row]) -> _Plan:
    """The organizations and contacts the file names, as plain rows, in a few queries whatever the file's size."""
    plan = _Plan(rows=rows)
    if session.get_bind().dialect.name == "postgresql":
        # psycopg prepares a statement run 5 times on a connection, and PostgreSQL may then keep a
        # generic plan made while the table was small (a sequential scan testing each of the 900
        # values per row). Custom plans see the actual values and use the unique index or hashing.
        session.execute(sql_text("SET LOCAL plan_cache_mode = force_custom_plan"))
    wanted_orgs = {row.org_key for row in rows if row.organization}
    matching = {
        org_id: (name, org_type)
        for org_id, name, org_type in session.execute(select(Organization.id, Organization.name, Organization.org_type))
        if org_key(name) in wanted_orgs
    }
    links = _ORG_REGIONS.c
    region_ids: dict[int, set[int]] = {org_id: set() for org_id in matching}
    for chunk in _chunks(list(matching)):
        for org_id, region_id in session.execute(
            select(links.organization_id, links.region_id).where(_one_of(session, links.organization_id, chunk))
        ):
            region_ids[org_id].add(region_id)
    for org_id, (name, org_type) in matching.items():
        plan.orgs[org_key(name)] = _Org(org_id, name, org_type, frozenset(region_ids[org_id]))
    emails = sorted({row.email for row in rows if row.email})
    for chunk in _chunks(emails):
        for found in session.execute(
            select(Contact.id, Contact.email, Contact.name, Contact.title, Contact.organization_id,
                   Organization.name.label("organization_name"))
            .join(Organization, Organization.id == Contact.organization_id)
            .where(_one_of(session, Contact.email, chunk))
        ):
            plan.contacts[found.email] = _Contact(found.id, found.name, found.title, found.organization_id,
                                                  found.organization_name)
    return plan


def _use_existing(session: Session, rows: list[_Row], chosen: Sequence[tuple[str, int]],
                  errors: list[RowError]) -> list[tuple[str, str, int]]:
    """Point the rows naming each chosen organization at the existing one (its name, so the import matches it);
    returns (name in the file, existing name, its id) of each. A chosen organization that is gone, or of another type than
    the file gives the name, is an error on its rows."""
    if not chosen:
        return []
    wanted = {org_key(name): org_id for name, org_id in chosen}
    existing = {org.id: org for org in session.scalars(select(Organization).where(Organization.id.in_(set(wanted.values()))))}
    used: dict[str, tuple[str, str, int]] = {}
    for row in rows:
        org_id = wanted.get(row.org_key) if row.organization else None
        if org_id is None:
            continue
        org = existing.get(org_id)
        if org is None:
            errors.append({"row": row.number, "column": "organization",
                           "message": f"the organization chosen for {row.organization!r} no longer exists"})
            continue
        if row.org_type and org.org_type != row.org_type:
            errors.append({"row": row.number, "column": "org_type", "message":
                           f"{org.name!r}, chosen for {row.organization!r}, is {org.org_type}, not {row.org_type}"})
            continue
        used.setdefault(row.org_key, (row.organization, org.name, org.id))
        row.organization = org.name
    return list(used.values())


def similar_organizations(session: Session, new: Sequence[_Row]) -> dict[str, tuple[Similar, ...]]:
    """For each new organization (by key), the existing ones of its type sharing a region whose names score at least
    SIMILAR_NAME_SCORE, best first.

    One statement reads the existing organizations of those types and regions; rapidfuzz compares each new name
    with those of its own type and regions only.
    """
    wanted = [row for row in new if row.org_type and row.region_ids]
    if not wanted:
        return {}
    regions = sorted({region for row in wanted for region in row.region_ids})
    types = sorted({row.org_type for row in wanted if row.org_type})
    pools: dict[tuple[str, int], dict[int, str]] = {}
    for chunk in _chunks(regions):
        for org_id, name, org_type, region_id in session.execute(
            select(Organization.id, Organization.name, Organization.org_type, organization_regions.c.region_id)
            .join(organization_regions, organization_regions.c.organization_id == Organization.id)
            .where(Organization.org_type.in_(types), organization_regions.c.region_id.in_(chunk))
        ):
            pools.setdefault((org_type, region_id), {})[org_id] = name
    found: dict[str, tuple[Similar, ...]] = {}
    for row in wanted:
        choices: dict[int, str] = {}
        for region in row.region_ids or ():
            choices.update(pools.get((row.org_type, region), {}))  # type: ignore[arg-type]
        if not choices:
            continue
        matches = process.extract(row.organization, choices, scorer=fuzz.ratio, processor=utils.default_process,
                                  score_cutoff=SIMILAR_NAME_SCORE, limit=SIMILAR_LISTED)
        if matches:
            found[row.org_key] = tuple(Similar(org_id, name, round(score, 1)) for name, score, org_id in matches)
    return found


def _check_against_database(plan: _Plan, errors: list[RowError]) -> None:
    for row in plan.rows:
        org = plan.orgs.get(row.org_key) if row.organization else None
        if org is not None and row.org_type and org.org_type != row.org_type:
            errors.append({"row": row.number, "column": "org_type", "message":
                           f"{org.name!r} is recorded as {org.org_type} in the database, not {row.org_type}"})
        contact = plan.contacts.get(row.email) if row.email else None
        if contact is not None and row.organization and (org is None or contact.organization_id != org.id):
            errors.append({"row": row.number, "column": "email", "message":
                           f"{row.email} already belongs to a contact of {contact.organization_name!r}; "
                           "an import cannot move a contact to another organization"})


def import_contacts(
    session: Session,
    csv_text: str,
    dry_run: bool,
    *,
    scheme: str | None = None,
    record: Callable[[ev.Event], None] | None = None,
    now: Any = None,
    source: str = "import",
    progress: Progress | None = None,
    use_existing: Sequence[tuple[str, int]] = (),
) -> ImportResult:
    """Validate a whole contacts CSV, then create or update organizations and contacts.

    Raises ImportRejected listing every problem (row, column, message) if any row is bad; then,
    and in a dry run, nothing is written. `record` receives the events (the unit of work's record).
    Organizations and contacts are matched by name (case-insensitive) and by normalized email;
    rows naming an organization of `use_existing` go to the existing one it names instead. A dry
    run lists, for each new organization, the existing ones with a similar name.
    """
    parsed = read_contacts_csv(csv_text)
    regions = RegionIndex.load(session, scheme or default_scheme())
    errors: list[RowError] = []
    rows = _validate_rows(parsed, regions, errors, progress)
    used_existing = _use_existing(session, rows, use_existing, errors)
    _check_file_consistency(rows, regions, errors)
    plan = _load_existing(session, rows)
    _check_against_database(plan, errors)
    if errors:
        raise ImportRejected(errors)

    # Work out every change first: a dry run stops after counting.
    new_orgs: dict[str, _Row] = {}
    changed_orgs: dict[str, tuple[_Org, frozenset[int]]] = {}
    for row in rows:
        org = plan.orgs.get(row.org_key)
        if org is None:
            new_orgs.setdefault(row.org_key, row)
        elif org.region_ids != row.region_ids:
            changed_orgs.setdefault(row.org_key, (org, row.region_ids))
    created_rows: list[_Row] = []
    updates: list[tuple[_Contact, _Row, dict[str, Any]]] = []
    unchanged = 0
    for row in rows:
        contact = plan.contacts.get(row.email)
        if contact is None:
            created_rows.append(row)
            continue
        changes = {}
        if contact.name != row.name:
            changes["name"] = {"from": contact.name, "to": row.name}
        if row.title is not None and contact.title != row.title:
            changes["title"] = {"from": contact.title, "to": row.title}
        if changes:
            updates.append((contact, row, changes))
        else:
            unchanged += 1
    similar = similar_organizations(session, list(new_orgs.values())) if dry_run else {}
    named_on: dict[str, list[int]] = {}
    for row in rows:
        if row.org_key in new_orgs:
            named_on.setdefault(row.org_key, []).append(row.number)
    listed = []
    for key, row in new_orgs.items():
        placed = sorted((regions.by_id[i] for i in row.region_ids or ()), key=lambda r: r.code)
        listed.append(NewOrganization(row.organization, row.org_type or "", tuple(r.code for r in placed),
                                      tuple(named_on[key]), similar.get(key, ()), tuple(r.name for r in placed)))
    listed.sort(key=lambda o: not o.similar)  # stable: warnings first, then the file's order
    result = ImportResult(
        created=len(created_rows), updated=len(updates), unchanged=unchanged,
        organizations_created=len(new_orgs), organizations_updated=len(changed_orgs), dry_run=dry_run,
        new_organizations=tuple(listed), used_existing=tuple(used_existing),
    )
    if dry_run:
        return result
    if record is None or now is None:
        raise TypeError("import_contacts needs record= and now= unless dry_run")
    _write(session, plan, regions, new_orgs, changed_orgs, created_rows, updates, record=record, now=now)
    record(ev.ContactsImported(source=source[:80], created=result.created, updated=result.updated,
                               unchanged=result.unchanged))
    return result


def _write(session: Session, plan: _Plan, regions: RegionIndex, new_orgs: dict[str, _Row],
           changed_orgs: dict[str, tuple[_Org, frozenset[int]]], created_rows: list[_Row],
           updates: list[tuple[_Contact, _Row, dict[str, Any]]], *, record: Callable[[ev.Event], None], now: Any) -> None:
    """Write a checked import with set-based statements (a few per thousand rows, no ORM object per row), and
    record its events in the order the changes were made."""
    codes = {region_id: region.code for region_id, region in regions.by_id.items()}

    def code_list(region_ids: Iterable[int]) -> list[str]:
        return sorted(codes[i] for i in region_ids)

    # New organizations, then their ids by name (names are unique), then their regions.
    fresh = list(new_orgs.values())
    for chunk in _chunks(fresh, WRITE_CHUNK):
        insert_rows(session, Organization.__table__,
                    [{"name": row.organization, "org_type": row.org_type, "created_at": now} for row in chunk])
    org_ids = _ids_by(session, Organization.id, Organization.name, [row.organization for row in fresh])
    org_id_of = {key: org.id for key, org in plan.orgs.items()}
    org_id_of.update((row.org_key, org_ids[row.organization]) for row in fresh)
    links = [{"organization_id": org_id_of[row.org_key], "region_id": region_id}
             for row in fresh for region_id in sorted(row.region_ids or ())]
    for org, region_ids in changed_orgs.values():
        links += [{"organization_id": org.id, "region_id": region_id} for region_id in sorted(region_ids)]
    for chunk in _chunks([org.id for org, _ in changed_orgs.values()]):
        session.execute(delete(_ORG_REGIONS).where(_one_of(session, _ORG_REGIONS.c.organization_id, chunk)))
    for chunk in _chunks(links, WRITE_CHUNK):
        insert_rows(session, _ORG_REGIONS, chunk)
    for row in fresh:
        record(ev.OrganizationCreated(organization_id=org_id_of[row.org_key], name=row.organization,
                                      org_type=row.org_type, regions=code_list(row.region_ids or ())))
    for org, region_ids in changed_orgs.values():
        record(ev.OrganizationUpdated(organization_id=org.id, changes={
            "regions": {"from": code_list(org.region_ids), "to": code_list(region_ids)}}))

    # New contacts, then their ids by email (emails are unique); changed ones in one executemany.
    for chunk in _chunks(created_rows, WRITE_CHUNK):
        insert_rows(session, Contact.__table__, [
            {"organization_id": org_id_of[row.org_key], "name": row.name, "email": row.email,
             "title": row.title or "", "created_at": now, "updated_at": now}
            for row in chunk
        ])
    contact_ids = _ids_by(session, Contact.id, Contact.email, [row.email for row in created_rows])
    if updates:
        session.execute(_UPDATE_CONTACT, [
            {"contact_id": contact.id, "new_name": row.name,
             "new_title": row.title if row.title is not None else contact.title, "now": now}
            for contact, row, _changes in updates
        ])
    for row in created_rows:
        record(ev.ContactCreated(contact_id=contact_ids[row.email], organization_id=org_id_of[row.org_key],
                                 name=row.name, email=row.email, title=row.title or ""))
    for contact, _row, changes in updates:
        record(ev.ContactUpdated(contact_id=contact.id, changes=changes))


def _ids_by(session: Session, id_column: Any, key_column: Any, keys: Sequence[str]) -> dict[str, int]:
    """Ids of the rows just written, by a unique column's value."""
    found: dict[str, int] = {}
    # PostgreSQL takes each chunk as one array (see _one_of), so there a chunk can be much larger.
    for chunk in _chunks(keys, ARRAY_CHUNK if session.get_bind().dialect.name == "postgresql" else CHUNK):
        found.update((key, row_id) for row_id, key in session.execute(
            select(id_column, key_column).where(_one_of(session, key_column, chunk))))
    return found


def handle_import_contacts(command: cmd.ImportContacts, uow: AbstractUnitOfWork) -> ImportResult:
    return import_contacts(
        uow.session, command.csv_text, command.dry_run, scheme=command.scheme, record=uow.record,
        now=uow.now, source=command.source, progress=command.progress, use_existing=command.use_existing,
    )
