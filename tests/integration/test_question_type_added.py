"""Adding a question type is one module plus its partial: a "percentage" type defined and registered here, with a
partial this test supplies, is accepted in a template, shown on the respondent form, answered through the real
form POST, counted in the baseline table and exported in the CSV, with no other module touched."""
from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from collections.abc import Mapping
from typing import Any

import pytest
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import select

from tests import builders
from tests.web import signed_in  # noqa: F401  (fixture)
from wfsurvey.domain.questions import QUESTION_TYPES, register, unregister
from wfsurvey.domain.questions.base import AnswerRow, Cell, Found, Parsed
from wfsurvey.domain.questions.shared import MeanChange
from wfsurvey.domain.tokens import hash_token, new_token
from wfsurvey.extensions import db
from wfsurvey.models import AccessToken, Contact, Invitation, Response
from wfsurvey.queries.baseline import baseline_table
from wfsurvey.queries.exports import baseline_csv
from wfsurvey.services.templates import TemplateInvalid, validate_definition

UTC = dt.timezone.utc
DURING = dt.datetime(2026, 10, 7, 17, 0, tzinfo=UTC)
LA = "los-angeles"


# --- the new type: what a module in wfsurvey/domain/questions/ would hold ----------------------------------

class Percentage(MeanChange):
    """A whole percentage from 0 to 100 ("75" or "75%"); the baseline table shows its mean."""

    name = "percentage"
    label = "Percentage"
    partial = "percentage"
    show_if_target = True
    counted = True
    summary_partial = "mean_sum"

    def parse_text(self, q: Mapping[str, Any], raw: str) -> Parsed:
        digits = raw.removesuffix("%").strip()
        if not digits.isdigit() or int(digits) > 100:
            return None, {q["key"]: "Enter a whole percentage from 0 to 100."}
        return int(digits), {}

    def answer_text(self, q: Mapping[str, Any], value: Any) -> str:
        return f"{value}%"

    def baseline_cells(self, key: str, value: Any) -> list[Cell]:
        return [(key, "", float(value))]

    def summarize(self, q: Mapping[str, Any], found: Found, responses: int) -> dict[str, Any]:
        n, total = found.get("", (0, 0.0))
        return {"type": self.name, "n": n, "mean": round(total / n, 4) if n else None, "sum": total}

    def export_columns(self, key: str, shape: Mapping[str, Any]) -> list[str]:
        return [f"{key} n", f"{key} mean %"]

    def export_cells(self, summary: Mapping[str, Any], shape: Mapping[str, Any]) -> list[Any]:
        return [summary["n"], summary["mean"]]

    def answer_rows(self, summary: Mapping[str, Any]) -> list[AnswerRow]:
        return [(None, summary["n"], None, summary["mean"])]


#: What templates/respond/questions/percentage.html would hold.
PARTIAL = """{% set p = q.parts[0] %}
<input type="text" id="{{ p.id }}" name="{{ q.key }}" value="{{ p.value }}" inputmode="numeric" class="percentage"
  {%- if p.error %} aria-invalid="true"{% endif %}{{ described(q.described_by(p)) }}> <span>%</span>"""

TEMPLATE = {
    "slug": "collab",
    "title": "Regional collaboration",
    "questions": [
        {"key": "share", "type": "percentage", "label": "Share of placements in manufacturing", "required": True},
        {"key": "why_all", "type": "text", "label": "How do you place everyone there?",
         "show_if": {"question": "share", "equals": "100"}},
        {"key": "colleges", "type": "scale", "label": "Collaboration with colleges"},
    ],
}


@pytest.fixture
def percentage(app):
    """The type registered, and its partial served, for this test only."""
    assert "percentage" not in QUESTION_TYPES
    question_type = register(Percentage())
    loader = app.jinja_env.loader
    app.jinja_env.loader = ChoiceLoader([DictLoader({"respond/questions/percentage.html": PARTIAL}), loader])
    try:
        yield question_type
    finally:
        unregister("percentage")
        app.jinja_env.loader = loader
    assert "percentage" not in QUESTION_TYPES


def _link(email: str) -> str:
    """A fresh respondent link for the contact's invitation, made as the mailer would (only the hash is stored)."""
    invitation = db.session.scalar(select(Invitation).join(Contact, Contact.id == Invitation.contact_id)
                                   .where(Contact.email == email))
    token = new_token()
    db.session.add(AccessToken(invitation_id=invitation.id, token_hash=hash_token(token), purpose="invitation",
                               created_at=DURING, revoked_at=None))
    db.session.commit()
    return f"/r/{token}"


def _post(client, url: str, answers: dict, action: str = "submit"):
    page = client.get(url).get_data(as_text=True)
    control = {name: re.search(rf'name="{name}" value="([^"]*)"', page).group(1) for name in ("csrf_token", "revision")}
    return client.post(url, data={**control, "action": action, **answers})


def test_a_template_names_only_registered_types(app):
    with pytest.raises(TemplateInvalid) as refused:
        validate_definition(TEMPLATE)
    assert refused.value.message == ("Question 1, “Share of placements in manufacturing”: “percentage” is not a question "
                                     "type: use one of single_choice, multi_choice, scale, yes_no, number, ranking, text, "
                                     "long_text, contact, section.")
    with pytest.raises(ValueError, match="registered already"):
        register(type(QUESTION_TYPES["scale"])())


def test_an_added_type_goes_from_template_to_form_to_baseline_and_csv(app, client, percentage, signed_in):  # noqa: F811
    builders.stakeholders(regions=(LA,), boards=2, colleges=0)
    builders.template(TEMPLATE)
    round_ = builders.launched_round()
    app.config["FIXED_NOW"] = DURING

    # The form shows the question through the type's partial, numbered and labelled like any other.
    first = _link(f"lwib1.{LA}@example.org")
    page = client.get(first).get_data(as_text=True)
    block = re.search(r'<div class="question" id="q-share-block" data-key="share" data-type="percentage".*?</div>', page, re.S)
    assert block, page
    assert '<label for="q-share"><span class="qnum">1.</span> Share of placements in manufacturing' in block.group(0)
    assert re.search(r'<input type="text" id="q-share" name="share" value="" inputmode="numeric" class="percentage"> <span>%</span>',
                     block.group(0))
    assert 'data-show-if-question="share" data-show-if-equals="100"' in page

    # The type's own check refuses a bad answer, named in the error summary and beside the field.
    refused = _post(client, first, {"share": "150", "why_all": "never sent"})
    text = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422
    assert ('<a href="#q-share" data-key="share">Question <span data-number-of="share">1</span>, “Share of placements in '
            'manufacturing”: Enter a whole percentage from 0 to 100.</a>') in text
    assert re.search(r'name="share" value="150"[^>]*aria-invalid="true" aria-describedby="q-share-error"', text)
    assert db.session.scalars(select(Response)).all() == []

    # Submitted: stored typed, the hidden follow-up dropped, read back in the type's words.
    done = _post(client, first, {"share": "75%", "why_all": "not shown at 75", "colleges": "4"})
    assert done.status_code == 303
    assert "<dd>75%</dd>" in client.get(done.headers["Location"]).get_data(as_text=True)
    second = _link(f"lwib2.{LA}@example.org")
    assert _post(client, second, {"share": "100", "why_all": "Apprenticeships"}).status_code == 303
    db.session.expire_all()
    stored = {r.answers["share"]: r.answers for r in db.session.scalars(select(Response))}
    assert stored == {75: {"share": 75, "colleges": 4}, 100: {"share": 100, "why_all": "Apprenticeships"}}

    # Counted in the baseline projection, summarized by the type, shown on the staff page and exported.
    table = baseline_table(db.session, round_.id)
    region = {row["region"]: row for row in table["rows"]}[LA]
    assert region["answers"]["share"] == {"type": "percentage", "n": 2, "mean": 87.5, "sum": 175.0}
    assert table["total"]["answers"]["share"]["mean"] == 87.5
    staff, _ = signed_in("staff")
    page = staff.get(f"/staff/rounds/{round_.id}/baseline").get_data(as_text=True)
    assert "Share of placements in manufacturing <span class=\"muted\">(share, percentage)</span>" in page
    assert re.search(r'<td class="num">2</td><td class="num">87\.50</td><td class="num">175</td>', page)
    header, *rows = list(csv.reader(io.StringIO(baseline_csv(table).decode("utf-8-sig"))))
    assert header[header.index("Designation") + 1:] == ["share n", "share mean %", "colleges n", "colleges mean",
                                                        *(f"colleges {p}" for p in range(1, 6))]
    la = next(row for row in rows if row[0] == LA)
    assert la[header.index("share n")] == "2" and la[header.index("share mean %")] == "87.5"
