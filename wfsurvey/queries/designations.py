"""Each region's navigator-counterpart designation in a round, as the designations projection holds it.

A region of the round that no rule run has reached yet is listed as unfilled, so the list always
covers every region. Five statements whatever the size of the round.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wfsurvey.domain.designation import contact_question_key
from wfsurvey.models import Designation
from wfsurvey.queries import iso
from wfsurvey.queries.status import load_round, progress_rows, region_names, round_region_codes

NOT_YET = "No local board of this region has nominated a counterpart yet."


def round_designations(session: Session, round_id: int) -> list[dict[str, Any]]:
    """The DESIGN.md shape: region, status, final, nominee, nominations, explanation (plus name and overridden)."""
    round_ = load_round(session, round_id)
    if contact_question_key(round_.template.questions) is None:
        return []  # the round asks no contact question: nobody designates anything
    rows = {d.region: d for d in session.scalars(select(Designation).where(Designation.round_id == round_id))}
    codes = sorted(set(round_region_codes(round_, progress_rows(session, round_id))) | set(rows))
    names = region_names(session, codes)
    out = []
    for code in codes:
        row = rows.get(code)
        if row is None:
            out.append({"region": code, "name": names.get(code, code), "status": "unfilled",
                        "final": round_.state == "closed", "nominee": None, "nominations": [],
                        "explanation": NOT_YET, "overridden": False, "updated_at": None})
            continue
        out.append({
            "region": code, "name": names.get(code, code), "status": row.status, "final": row.final,
            "nominee": row.nominee, "nominations": list(row.nominations or []), "explanation": row.explanation,
            "overridden": row.overridden, "updated_at": iso(row.updated_at),
        })
    out.sort(key=lambda d: (d["name"].casefold(), d["region"]))
    return out


def counterpart_summary(designations: list[dict[str, Any]]) -> dict[str, int]:
    """The headline "regions with a navigator counterpart: N of M"."""
    return {"designated": sum(1 for d in designations if d["status"] == "designated"), "regions": len(designations)}
