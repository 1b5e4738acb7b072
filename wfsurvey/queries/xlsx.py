"""An XLSX workbook of one sheet, written as its rows are read: the sheet's XML is compressed into the ZIP piece by
piece and handed out as bytes, so a sheet of any length takes constant memory and its first bytes can leave before
its last row is read (openpyxl builds the whole sheet first).

The workbook is the least Excel, LibreOffice and openpyxl need: a bold, frozen header row, column widths, text as
inline strings, numbers as numbers, times as date cells and rates as percentage cells. Cells are written as given:
the caller neutralizes formulas (wfsurvey.queries.exports.neutralise).
"""
from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

#: The longest text a cell holds (Excel's limit); longer text is cut, which never happens to an answer (10,000).
MAX_CELL_TEXT = 32767
#: Uncompressed size from which a member needs ZIP64 (zipfile refuses to grow past it otherwise).
ZIP64_THRESHOLD = zipfile.ZIP64_LIMIT
#: Rows compressed between two pieces handed out.
ROWS_PER_PIECE = 500
#: Day 0 of the 1900 date system, as Excel counts (its 1900 leap-year bug included).
EPOCH = dt.datetime(1899, 12, 30)
#: Style indexes of styles.xml's cellXfs, by column kind; the header row uses HEADER.
STYLE = {"text": 0, "number": 0, "flag": 0, "datetime": 2, "percent": 3}
HEADER = 1
KINDS = tuple(STYLE)

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_CONTENT_TYPES = _XML + (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '</Types>'
)
_ROOT_RELS = _XML + (
    f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    f'<Relationship Id="rId2" Type="{_PKG_REL}/metadata/core-properties" Target="docProps/core.xml"/>'
    '</Relationships>'
)
_WORKBOOK_RELS = _XML + (
    f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
    '</Relationships>'
)
_STYLES = _XML + (
    f'<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/><numFmt numFmtId="165" formatCode="0.0%"/>'
    '</numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '</cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>'
)


@dataclass(frozen=True)
class Column:
    """A column of the sheet: its header, the kind of its cells (text, number, flag, datetime, percent), its width."""

    header: str
    kind: str = "text"
    width: float = 16

    def __post_init__(self) -> None:
        if self.kind not in STYLE:
            raise ValueError(f"column kind must be one of {', '.join(KINDS)}, not {self.kind!r}")


class _Pieces:
    """A file that only collects what is written to it, for zipfile to write into and the generator to hand out.

    It has no tell() or seek(): zipfile then writes each member with a data descriptor after its data
    instead of going back to fill in the sizes, which is what writing a ZIP as a stream needs.
    """

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def sheet_name(title: str) -> str:
    """A name Excel accepts for a sheet: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in ILLEGAL_CHARACTERS_RE.sub("", title)).strip()
    return (cleaned or "Sheet1")[:31]


def excel_serial(moment: dt.datetime) -> float:
    """A wall-clock time as the number a date cell holds (days since 1899-12-30); an aware time keeps its own clock."""
    return (moment.replace(tzinfo=None) - EPOCH).total_seconds() / 86400


def text_cell(ref: str, value: str, style: int = 0) -> str:
    text = ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_CELL_TEXT]
    s = f' s="{style}"' if style else ""
    return f'<c r="{ref}" t="inlineStr"{s}><is><t xml:space="preserve">{escape(text)}</t></is></c>'


def cell(ref: str, value: Any, kind: str) -> str:
    """One cell; empty string for None (an absent cell is an empty one)."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        return f'<c r="{ref}" s="{STYLE["datetime"]}"><v>{excel_serial(value)!r}</v></c>'
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        style = STYLE["percent"] if kind == "percent" else 0
        s = f' s="{style}"' if style else ""
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    return text_cell(ref, str(value))


def _sheet_start(columns: Sequence[Column]) -> str:
    widths = "".join(f'<col min="{i}" max="{i}" width="{c.width:g}" customWidth="1"/>' for i, c in enumerate(columns, 1))
    header = "".join(text_cell(f"{get_column_letter(i)}1", c.header, HEADER) for i, c in enumerate(columns, 1))
    return _XML + (
        f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
        '</sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>'
        + (f"<cols>{widths}</cols>" if columns else "")
        + f'<sheetData><row r="1">{header}</row>'
    )


def _core(title: str, created: dt.datetime) -> str:
    moment = created.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return _XML + (
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f'<dc:title>{escape(ILLEGAL_CHARACTERS_RE.sub("", title)[:200])}</dc:title><dc:creator>wfsurvey</dc:creator>'
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{moment}</dcterms:created>'
        '</cp:coreProperties>'
    )


def stream_workbook(columns: Sequence[Column], rows: Iterable[Sequence[Any]], *, sheet: str, title: str,
                    created: dt.datetime, large: bool = False) -> Iterator[bytes]:
    """The workbook's bytes, piece by piece: the fixed parts, then the sheet every ROWS_PER_PIECE rows, then the end.

    `large` allows a sheet past 2 GB of XML (ZIP64), for callers that cannot rule it out.
    """
    pieces = _Pieces()
    letters = [get_column_letter(i) for i in range(1, len(columns) + 1)]
    kinds = [c.kind for c in columns]
    stamp = created.timetuple()[:6]

    def member(name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        return info

    with zipfile.ZipFile(pieces, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member("[Content_Types].xml"), _CONTENT_TYPES)
        archive.writestr(member("_rels/.rels"), _ROOT_RELS)
        archive.writestr(member("docProps/core.xml"), _core(title, created))
        archive.writestr(member("xl/workbook.xml"), _XML + (
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews><workbookView/></bookViews>'
            f'<sheets><sheet name="{escape(sheet_name(sheet))}" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        archive.writestr(member("xl/_rels/workbook.xml.rels"), _WORKBOOK_RELS)
        archive.writestr(member("xl/styles.xml"), _STYLES)
        yield pieces.take()
        with archive.open(member("xl/worksheets/sheet1.xml"), "w", force_zip64=large) as xml:
            xml.write(_sheet_start(columns).encode())
            buffer: list[str] = []
            number = 1
            for values in rows:
                number += 1
                cells = "".join(cell(f"{letters[i]}{number}", value, kinds[i]) for i, value in enumerate(values))
                buffer.append(f'<row r="{number}">{cells}</row>')
                if len(buffer) >= ROWS_PER_PIECE:
                    xml.write("".join(buffer).encode())
                    buffer.clear()
                    yield pieces.take()
            xml.write(("".join(buffer) + "</sheetData></worksheet>").encode())
    yield pieces.take()
