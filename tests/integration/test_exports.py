"""Baseline exports: CSV and XLSX of a real round, with hostile names, labels and answers neutralized and numbers kept as numbers."""
from __future__ import annotations

import copy
import csv
import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import select

from tests import builders
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.models import Contact, Invitation, Region
from wfsurvey.queries.baseline import baseline_table
from wfsurvey.queries.exports import baseline_csv, baseline_xlsx, neutralise
from wfsurvey.services import handle

UTC = dt.timezone.utc
IE, LA = "inland-empire-desert", "los-angeles"
HOSTILE_REGION = "@SUM(1+1)*cmd|' /C calc'!A0"
HOSTILE_LABEL = "-2+3 Collaboration with colleges"
HOSTILE_OPTION = "+1 other"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "+1", "-1+2", "@SUM(A1)", "\tx", "\rx", "\nx"])
def test_text_that_could_start_a_formula_gets_a_quote(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value, expected", [(3, 3), (-2.5, -2.5), (0, 0), (None, ""), (True, "yes"), ("plain", "plain"),
                                             ("a=b", "a=b"), ("", "")])
def test_numbers_stay_numbers_and_plain_text_is_untouched(value, expected):
    assert neutralise(value) == expected


def _answer(round_id: int, email: str, now: dt.datetime, **values) -> None:
    invitation = db.session.scalar(select(Invitation).join(Contact, Contact.id == Invitation.contact_id)
                                   .where(Invitation.round_id == round_id, Contact.email == email))
    form = {"targets_am": ["no"]}
    form.update({k: v if isinstance(v, list) else [str(v)] for k, v in values.items()})
    handle(cmd.SaveAnswers(invitation.id, form, True), actor=f"token:{invitation.id}", now=now)


@pytest.fixture
def compared_table(app):
    """A later round whose scale mean fell against the baseline round, with hostile text in names, labels and answers."""
    app.config["MIN_RESPONSES_FOR_RANKING"] = 1  # its one answer is ranked, so the ranking sheet has a row to read
    builders.stakeholders()
    db.session.scalar(select(Region).where(Region.code == LA)).name = HOSTILE_REGION
    db.session.commit()
    definition = copy.deepcopy(builders.TEMPLATE)
    for q in definition["questions"]:
        if q["key"] == "colleges":
            q["label"] = HOSTILE_LABEL
        if q["key"] == "occupations":
            q["options"].append({"value": HOSTILE_OPTION, "label": "Other"})
    template = builders.template(definition)
    # A control character no workbook may hold, as a template stored before templates refused them would have it.
    template.questions = [dict(q, label=HOSTILE_LABEL.replace("with", "with\u0007")) if q["key"] == "colleges" else q
                          for q in template.questions]
    db.session.commit()
    first_at = dt.datetime(2026, 10, 7, 17, 0, tzinfo=UTC)
    base = builders.launched_round(baseline=True)
    _answer(base.id, f"college1.{LA}@example.org", first_at, colleges=5, occupations=[HOSTILE_OPTION])
    handle(cmd.CloseRound(base.id), actor="test", now=dt.datetime(2026, 11, 3, 2, 0, tzinfo=UTC))
    later_at = dt.datetime(2027, 1, 6, 17, 0, tzinfo=UTC)
    later = builders.launched_round(now=later_at, title="Follow-up", opens_at="2027-01-05T09:00", closes_at="2027-02-01T17:00")
    _answer(later.id, f"college1.{LA}@example.org", later_at, colleges=2, occupations=["cnc"])
    table = baseline_table(db.session, later.id)
    assert {r["region"]: r for r in table["rows"]}[LA]["change"]["answers"]["colleges"]["mean"] == -3.0
    return table


def test_csv_neutralises_text_and_keeps_numbers(compared_table):
    data = baseline_csv(compared_table)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header, *body = rows
    assert "Response rate change" in header and "colleges mean change" in header
    la = next(r for r in body if r[0] == LA)
    assert la[1] == "'" + HOSTILE_REGION
    assert la[header.index("colleges mean change")] == "-3.0"  # a number, not text: no quote
    for cell in (c for row in rows for c in row):
        if cell.startswith(FORMULA_STARTS):
            float(cell)  # only numbers may start with a sign
    assert len({len(r) for r in rows}) == 1  # every row as wide as the header


def test_xlsx_has_no_formula_and_typed_numbers(compared_table):
    workbook = openpyxl.load_workbook(io.BytesIO(baseline_xlsx(compared_table)))
    assert workbook.sheetnames == ["Baseline", "Answers", "Pilot ranking"]
    cells = [c for sheet in workbook for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    for cell in cells:
        if isinstance(cell.value, str):
            assert not cell.value.startswith(FORMULA_STARTS), (cell.coordinate, cell.value)
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert {"'" + HOSTILE_REGION, "'" + HOSTILE_LABEL, "'" + HOSTILE_OPTION} <= texts
    sheet = workbook["Baseline"]
    header = [c.value for c in sheet[1]]
    la = next(row for row in sheet.iter_rows(min_row=2, values_only=True) if row[0] == LA)
    assert la[header.index("colleges mean change")] == -3.0
    assert la[header.index("Invited")] == 4 and la[header.index("Response rate")] == 0.25
    ranking = [row for row in workbook["Pilot ranking"].iter_rows(values_only=True)]
    assert ranking[0][:4] == ("Rank", "Region code", "Region", "Score") and ranking[1][0] == 1
    assert any(row and row[0] and str(row[0]).startswith("score = 0.5 × readiness") for row in ranking)
