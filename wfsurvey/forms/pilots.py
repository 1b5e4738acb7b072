"""The pilot-region forms of the baseline page: choose a region with a reason, and drop one with a reason."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError


class PilotForm(FlaskForm):
    """Propose (staff) or select (admin) a region of the round's baseline table as a pilot region."""

    region = SelectField("Region", choices=[], validate_choice=True)
    reason = TextAreaField("Why this region", validators=[DataRequired("Say why this region should be a pilot region."),
                                                          Length(max=1000)])

    def __init__(self, *args, regions: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.region.choices = [("", "Choose a region"), *regions]

    def validate_region(self, field: SelectField) -> None:
        if not field.data:
            raise ValidationError("Choose a region.")


class DropPilotForm(FlaskForm):
    reason = TextAreaField("Why drop it (optional)", validators=[Length(max=1000)])
