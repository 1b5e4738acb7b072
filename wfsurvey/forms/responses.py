"""The filters of a round's responses list and of a text question's answers (GET forms: no CSRF, they change nothing)."""
from __future__ import annotations

from wtforms import Form, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional

from wfsurvey.forms.stakeholders import ORG_TYPE_CHOICES
from wfsurvey.queries.responses import ResponseFilters

STATUS_CHOICES = [SelectChoice("submitted", "Submitted"), SelectChoice("draft", "Drafts"),
                  SelectChoice("all", "Submitted and drafts")]
ORDER_CHOICES = [SelectChoice("newest", "Last edited, newest first"), SelectChoice("oldest", "Last edited, oldest first")]


class ResponseFilterForm(Form):
    q = StringField("Words in the free-text answers", validators=[Optional(), Length(max=200)])
    status = SelectField("Status", choices=STATUS_CHOICES, default="submitted", validators=[Optional()])
    region = SelectField("Region", choices=[], validators=[Optional()])
    org_type = SelectField("Organization type", choices=[SelectChoice("", "Any type"), *ORG_TYPE_CHOICES],
                           validators=[Optional()])
    order = SelectField("Order", choices=ORDER_CHOICES, default="newest", validators=[Optional()])

    def __init__(self, *args, regions: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.region.choices = [SelectChoice("", "Any region"),
                               *(SelectChoice(code, name) for code, name in sorted(regions.items(), key=lambda r: r[1]))]

    def filters(self, question: str | None = None) -> ResponseFilters:
        """What the list keeps; anything the form refuses counts as not given."""
        valid = self.validate()

        def value(field) -> str | None:
            return (field.data or None) if valid or not field.errors else None

        return ResponseFilters(status=value(self.status) or "submitted", region=value(self.region),
                               org_type=value(self.org_type), q=(value(self.q) or "").strip() or None,
                               question=question, oldest_first=value(self.order) == "oldest")


class AnswerFilterForm(ResponseFilterForm):
    """A text question's answers: searched in that question only."""

    q = StringField("Words in the answers", validators=[Optional(), Length(max=200)])
