"""The baseline table as CSV and as an XLSX workbook (openpyxl), safe to open in any spreadsheet.

Every text cell that a spreadsheet would read as a formula (starting with =, +, -, @, tab, CR or
LF; or with =, +, - or @ in full width, or after whitespace, NBSP or invisible characters) is neutralized
with a leading single quote, in the CSV and the workbook alike; numbers stay numbers.
"""
from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from wfsurvey.domain.questions import QUESTION_TYPES

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
#: The formula characters as NFKC reads them: full-width ＝＋－＠ and the small forms become these.
FORMULA_CHARACTERS = frozenset("=+-@")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
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
        cols.append("Response rate change")
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
        change = row["change"] or {"response_rate": None, "answers": {}}
        cells.append(change["response_rate"])
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


def ranking_rows(table: dict[str, Any]) -> list[list[Any]]:
    ranking = table["ranking"]
    out: list[list[Any]] = [["Rank", "Region code", "Region", "Score", "Readiness", "Response rate", "Designated"]]
    out += [[r["rank"], r["region"], r["name"], r["score"], r["readiness"], r["response_rate"], r["designated"]]
            for r in ranking["regions"]]
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


def _xlsx_value(value: Any) -> Any:
    # Control characters make an invalid workbook; they carry nothing a reader needs. Dropped after neutralizing,
    # which looks past them: the quote then still comes first.
    value = neutralise(value)
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _sheet(workbook: Workbook, title: str, rows: list[list[Any]], *, first: bool = False) -> None:
    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title
    for row in rows:
        # After neutralizing, no text starts with "=", which openpyxl would store as a formula.
        sheet.append([_xlsx_value(v) for v in row])
    sheet.freeze_panes = "A2"
    for index, _ in enumerate(rows[0] if rows else [], 1):
        sheet.column_dimensions[get_column_letter(index)].width = 16


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
