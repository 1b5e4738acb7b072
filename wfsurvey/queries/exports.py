"""Files for spreadsheets: the baseline table as CSV and XLSX (openpyxl), and a round's raw responses as CSV and XLSX
streamed a chunk at a time (wfsurvey.queries.xlsx), each safe to open in any spreadsheet.

Every text cell that a spreadsheet would read as a formula (starting with =, +, -, @, tab, CR or
LF; or with =, +, - or @ in full width, or after whitespace, NBSP or invisible characters) is neutralized
with a leading single quote, in the CSV and the workbook alike; numbers stay numbers, rates are percentage
cells and times date cells in a workbook.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wfsurvey.domain.questions import QUESTION_TYPES, RawColumn
from wfsurvey.domain.rules import to_local
from wfsurvey.domain.stakeholders import ORG_TYPE_LABELS
from wfsurvey.models import Response
from wfsurvey.queries import xlsx
from wfsurvey.queries.responses import EXPORT_CHUNK, ExportRow, export_rows
from wfsurvey.queries.status import load_round, region_names
from wfsurvey.queries.xlsx import Column

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
#: The formula characters as NFKC reads them: full-width ＝＋－＠ and the small forms become these.
FORMULA_CHARACTERS = frozenset("=+-@")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
#: Number format of a rate or share in the baseline workbook: 0.0833 shows as 8.3%.
PERCENT_FORMAT = "0.0%"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value: Any) -> Any:
    """A cell value that no spreadsheet evaluates: text that could start a formula gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) or _formula_after_padding(text) else text


def _formula_after_padding(text: str) -> bool:
    """Whether the first character that shows, past whitespace (NBSP, ideographic space) and invisible characters
    (controls, which the workbook drops, zero-width spaces), starts a formula in any width."""
    for char in text:
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf"):
            continue
        return unicodedata.normalize("NFKC", char)[:1] in FORMULA_CHARACTERS
    return False


# --- the table as rows ----------------------------------------------------------------------

def _org_types(table: dict[str, Any]) -> list[str]:
    return list(table["total"]["by_org_type"])


def header(table: dict[str, Any]) -> list[str]:
    cols = ["Region code", "Region", "Invited", "Responded", "Responses", "Response rate"]
    for t in _org_types(table):
        cols += [f"{t} invited", f"{t} responded"]
    cols.append("Designation")
    for q in table["questions"]:
        cols += QUESTION_TYPES[q["type"]].export_columns(q["key"], table["total"]["answers"][q["key"]])
    if table["compared_with"] is not None:
        cols += ["Baseline responses", "Response rate change"]
        for q in table["questions"]:
            cols += QUESTION_TYPES[q["type"]].change_columns(q["key"], table["total"]["answers"][q["key"]])
    return cols


def _cells(table: dict[str, Any], row: dict[str, Any]) -> list[Any]:
    cells: list[Any] = [row["region"] or "", row["name"], row["invited"], row["responded"], row["responses"], row["response_rate"]]
    for t in _org_types(table):
        counts = row["by_org_type"].get(t, {"invited": 0, "responded": 0})
        cells += [counts["invited"], counts["responded"]]
    cells.append(row["designation"])
    for q in table["questions"]:
        cells += QUESTION_TYPES[q["type"]].export_cells(row["answers"][q["key"]], table["total"]["answers"][q["key"]])
    if table["compared_with"] is not None:
        # Empty where the baseline round has no response in the region: there is nothing to compare with.
        change = row["change"] or {"response_rate": None, "answers": {}}
        cells += [row["n"]["baseline"], change["response_rate"]]
        for q in table["questions"]:
            c = change["answers"].get(q["key"]) or {}
            cells += QUESTION_TYPES[q["type"]].change_cells(c, table["total"]["answers"][q["key"]])
    return cells


def table_rows(table: dict[str, Any]) -> list[list[Any]]:
    """Header, one row per region, then the whole round; raw values (not yet neutralized)."""
    return [header(table), *(_cells(table, r) for r in table["rows"]), _cells(table, table["total"])]


def answer_rows(table: dict[str, Any]) -> list[list[Any]]:
    """The distributions in long form: one row per region, question and answer value."""
    labels = {q["key"]: q["label"] for q in table["questions"]}
    out: list[list[Any]] = [["Region code", "Region", "Question", "Label", "Value", "Count", "Share", "Mean"]]
    for row in [*table["rows"], table["total"]]:
        for key, a in row["answers"].items():
            for value, count, share, mean in QUESTION_TYPES[a["type"]].answer_rows(a):
                out.append([row["region"], row["name"], key, labels[key], value, count, share, mean])
    return out


def _parts(parts: list[dict[str, Any]]) -> str:
    return "; ".join(f"{p['label']}: {p['figure']:.2f} ({p['basis']}, n = {p['n']})" for p in parts)


def ranking_rows(table: dict[str, Any]) -> list[list[Any]]:
    ranking = table["ranking"]
    out: list[list[Any]] = [["Rank", "Region code", "Region", "Score", "Readiness", "Response rate", "Designated",
                             "Responses", "Invited", "Readiness made of"]]
    out += [[r["rank"], r["region"], r["name"], r["score"], r["readiness"], r["response_rate"], r["designated"],
             r["responses"], r["invited"], _parts(r["readiness_parts"])] for r in ranking["regions"]]
    if ranking["not_ranked"]:
        out += [[], [f"Not enough answers to rank (fewer than {ranking['min_responses']} responses)"],
                ["", "Region code", "Region", "", "", "", "", "Responses", "Invited"]]
        out += [["", r["region"], r["name"], "", "", "", "", r["responses"], r["invited"]] for r in ranking["not_ranked"]]
    out += [[], ["How the score is computed"], [ranking["formula"]]]
    return out


# --- files ------------------------------------------------------------------------------------

def to_csv(rows: Iterable[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return buffer.getvalue()


def baseline_csv(table: dict[str, Any]) -> bytes:
    """UTF-8 with a byte-order mark, so that spreadsheet programs read accents right."""
    return ("\ufeff" + to_csv(table_rows(table))).encode("utf-8")


def rows_csv(rows: Iterable[list[Any]]) -> bytes:
    """Any small table (a header row first) as the baseline's CSV: formula-safe, UTF-8 with a byte-order mark."""
    return ("\ufeff" + to_csv(rows)).encode("utf-8")


def rows_xlsx(rows: list[list[Any]], *, sheet: str, title: str) -> bytes:
    """Any small table (a header row first) as a one-sheet workbook, formula-safe as the baseline's."""
    workbook = Workbook()
    _sheet(workbook, sheet, rows, first=True)
    workbook.properties.creator = "wfsurvey"
    workbook.properties.title = ILLEGAL_CHARACTERS_RE.sub("", title)[:200]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_value(value: Any) -> Any:
    # Control characters make an invalid workbook; they carry nothing a reader needs. Dropped after neutralizing,
    # which looks past them: the quote then still comes first.
    value = neutralise(value)
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def is_rate(column: str) -> bool:
    """Whether a baseline column holds fractions (a rate, a share, a change in either): shown as percentages.

    The names are the exporter's and the question types' own ("Response rate", "Share", "<key>: <value> share
    change"); question keys have no spaces, so no key can end like them.
    """
    return column in ("Response rate", "Response rate change", "Share") or column.endswith(" share change")


def _sheet(workbook: Workbook, title: str, rows: list[list[Any]], *, first: bool = False) -> None:
    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title
    for row in rows:
        # After neutralizing, no text starts with "=", which openpyxl would store as a formula.
        sheet.append([_xlsx_value(v) for v in row])
    sheet.freeze_panes = "A2"
    for index, name in enumerate(rows[0] if rows else [], 1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = 16
        if isinstance(name, str) and is_rate(name):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                if isinstance(cell.value, (int, float)):
                    cell.number_format = PERCENT_FORMAT


def baseline_xlsx(table: dict[str, Any]) -> bytes:
    workbook = Workbook()
    _sheet(workbook, "Baseline", table_rows(table), first=True)
    _sheet(workbook, "Answers", answer_rows(table))
    _sheet(workbook, "Pilot ranking", ranking_rows(table))
    workbook.properties.creator = "wfsurvey"
    workbook.properties.title = ILLEGAL_CHARACTERS_RE.sub("", table["round"]["title"])[:200]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def indicators_csv(rows: list[list[Any]]) -> bytes:
    """Indicators over time (wfsurvey.queries.indicators.indicator_rows) as CSV, UTF-8 with a byte-order mark."""
    return ("\ufeff" + to_csv(rows)).encode("utf-8")


def indicators_xlsx(rows: list[list[Any]], title: str) -> bytes:
    workbook = Workbook()
    _sheet(workbook, "Indicators", rows, first=True)
    workbook.properties.creator = "wfsurvey"
    workbook.properties.title = ILLEGAL_CHARACTERS_RE.sub("", title)[:200]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- a round's raw responses -----------------------------------------------------------------

#: Fixed columns of the raw export: key, label ("{tz}" is the round's time zone) and kind.
FIXED_COLUMNS = (
    RawColumn("response_id", "Response ID", "number"),
    RawColumn("organization", "Organization"),
    RawColumn("org_type", "Organization type"),
    RawColumn("region", "Region"),
    RawColumn("contact_name", "Contact name"),
    RawColumn("contact_email", "Contact email"),
    RawColumn("status", "Status"),
    RawColumn("submitted_at", "Submitted at ({tz})", "datetime"),
    RawColumn("updated_at", "Last edited at ({tz})", "datetime"),
)
#: Status words in the export; with codes, the stored value.
STATUS_WORDS = {"submitted": "Submitted", "draft": "Draft"}
#: How a time reads in the CSV: the round's wall clock (the header names the zone).
CSV_TIME = "%Y-%m-%d %H:%M"
#: Column widths in the workbook, by kind.
WIDTHS = {"number": 12, "flag": 10, "datetime": 17, "percent": 10, "text": 24}


@dataclass(frozen=True)
class RawOptions:
    """What ?include=drafts, ?headers=keys and ?values=codes ask of the raw export."""

    include_drafts: bool = False
    #: Columns headed by keys ("occupations.cnc") rather than labels.
    keys: bool = False
    #: Choice answers, organization types and regions as stored ("cnc", "lwib", a region code) rather than in words.
    codes: bool = False
    #: Only this question (a text question's page exports its answers alone).
    question: str | None = None


class RawExport:
    """A round's responses as rows of cells: the fixed columns, then each question's columns (its type's raw_columns).

    Reads the round and the names of its regions (two statements) when made; `rows()` reads the responses a
    chunk at a time (wfsurvey.queries.responses.export_rows).
    """

    def __init__(self, session: Session, round_id: int, options: RawOptions = RawOptions()):
        round_ = load_round(session, round_id)
        self.session = session
        self.round_id = round_id
        self.title = round_.title
        self.timezone = round_.timezone
        self.options = options
        questions = [q for q in round_.template.questions if options.question in (None, q["key"])]
        self.questions = questions
        self.types = [QUESTION_TYPES[q["type"]] for q in questions]
        #: Names of the regions met so far (rows() reads them as it meets new codes).
        self.region_names: dict[str, str] = {}

    def columns(self) -> list[RawColumn]:
        fixed = [c._replace(label=c.label.format(tz=self.timezone)) for c in FIXED_COLUMNS]
        return fixed + [column for q, t in zip(self.questions, self.types) for column in t.raw_columns(q)]

    def count(self) -> int:
        """How many responses the export writes (one statement, through the index on round and status)."""
        statuses = ("submitted", "draft") if self.options.include_drafts else ("submitted",)
        return self.session.scalar(select(func.count(Response.id)).where(Response.round_id == self.round_id,
                                                                         Response.status.in_(statuses))) or 0

    def row_bytes_bound(self) -> int:
        """The most XML one row could take: free text at its longest, every character escaped."""
        bound = 0
        for q, question_type in zip(self.questions, self.types):
            longest = getattr(question_type, "max_length", 300) if question_type.free_text else 300
            bound += len(question_type.raw_columns(q)) * (6 * longest + 80)
        return bound + len(FIXED_COLUMNS) * 2000

    def header(self) -> list[str]:
        return [c.key if self.options.keys else c.label for c in self.columns()]

    def _region(self, codes: Sequence[str]) -> str:
        if self.options.codes:
            return "; ".join(codes)
        return "; ".join(self.region_names.get(code, code) for code in codes)

    def cells(self, row: ExportRow) -> list[Any]:
        """One response's cells: times as the round's wall clock (aware), answers by their types."""
        codes = self.options.codes
        local = [to_local(moment, self.timezone) if moment is not None else None for moment in (row.submitted_at, row.updated_at)]
        out: list[Any] = [
            row.id, row.organization, row.org_type if codes else ORG_TYPE_LABELS.get(row.org_type, row.org_type),
            self._region(row.regions), row.contact_name, row.contact_email,
            row.status if codes else STATUS_WORDS.get(row.status, row.status), *local,
        ]
        for q, question_type in zip(self.questions, self.types):
            out.extend(question_type.raw_cells(q, row.answers.get(q["key"]), codes=codes))
        return out

    def rows(self) -> Iterator[list[Any]]:
        """Every response's cells, in id order (not yet neutralized)."""
        pending: list[ExportRow] = []

        def flush() -> Iterator[list[Any]]:
            # Region names are read for codes not met before: once per region of the round, not per response.
            missing = sorted({c for r in pending for c in r.regions if c not in self.region_names})
            if missing:
                self.region_names.update({c: c for c in missing})
                self.region_names.update(region_names(self.session, missing))
            for r in pending:
                yield self.cells(r)
            pending.clear()

        for row in export_rows(self.session, self.round_id, include_drafts=self.options.include_drafts,
                               question=self.options.question):
            pending.append(row)
            if len(pending) >= EXPORT_CHUNK:
                yield from flush()
        yield from flush()


def _csv_time(value: Any) -> Any:
    return value.strftime(CSV_TIME) if isinstance(value, dt.datetime) else value


def responses_csv(export: RawExport) -> Iterator[bytes]:
    """The CSV in pieces of a chunk of responses each: UTF-8 with a byte-order mark, times as the round's wall clock."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([neutralise(h) for h in export.header()])
    count = 0
    for row in export.rows():
        writer.writerow([neutralise(_csv_time(v)) for v in row])
        count += 1
        if count % EXPORT_CHUNK == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _xlsx_cell(value: Any) -> Any:
    if value is None or isinstance(value, (int, float, dt.datetime)) and not isinstance(value, bool):
        return value
    return neutralise(value)


def responses_xlsx(export: RawExport, created: dt.datetime) -> Iterator[bytes]:
    """The workbook in pieces (wfsurvey.queries.xlsx): one sheet, header frozen, times as date cells."""
    columns = [Column(header, c.kind, WIDTHS.get(c.kind, 16)) for header, c in zip(export.header(), export.columns())]
    rows = ([_xlsx_cell(v) for v in row] for row in export.rows())
    # A sheet past 2 GB of XML needs ZIP64, which a stream must choose before writing it: only when the longest
    # answers could take it there, so that ordinary files stay plain ZIP.
    large = export.count() * export.row_bytes_bound() >= xlsx.ZIP64_THRESHOLD
    return xlsx.stream_workbook(columns, rows, sheet="Responses", title=export.title, created=created, large=large)
