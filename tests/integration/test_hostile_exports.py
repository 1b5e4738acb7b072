"""Issue 14, item 8: a cell that starts a formula after whitespace, NBSP or invisible characters, or with a full-width
＝＋－＠, is neutralized like one starting with "=", by the one function the CSV and the workbook share."""
from __future__ import annotations

import io

import openpyxl
import pytest

from wfsurvey.queries.exports import _xlsx_value, neutralise, to_csv

pytestmark = pytest.mark.hostile

DISGUISED = [
    " =1+1", "\u00a0=HYPERLINK(\"http://x\")", "\u3000+1", "  -2+3", "\u2003@SUM(A1)",  # whitespace, NBSP, wide spaces
    "\uff1d1+1", "\uff0b1", "\uff0d1", "\uff20SUM(A1)", "\ufe661+1", " \uff1dcmd",  # full width and small forms
    "\x01=cmd|' /C calc'!A0", "\x1f+1", "\u200b=1+1", "\ufeff=1+1",  # invisible: controls, zero-width, BOM
]


@pytest.mark.parametrize("text", DISGUISED)
def test_a_disguised_formula_start_gets_the_quote_in_the_csv_and_the_workbook(text):
    assert neutralise(text) == "'" + text
    assert to_csv([[text]]).startswith('"\'') or to_csv([[text]]).startswith("'")
    workbook = openpyxl.Workbook()
    workbook.active.append([_xlsx_value(text)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    cell = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active["A1"]
    assert cell.data_type == "s" and cell.value.startswith("'"), (cell.data_type, cell.value)


@pytest.mark.parametrize("text", ["plain", "a=b", " plain", "\u00a0text", "\uff21\uff22", "1 = 1", "", "  "])
def test_text_that_starts_no_formula_is_left_alone(text):
    assert neutralise(text) == text
