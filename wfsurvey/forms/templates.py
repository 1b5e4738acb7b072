"""Forms of the templates pages: upload a version as JSON."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileSize
from wtforms import TextAreaField
from wtforms.validators import ValidationError

MAX_TEMPLATE_BYTES = 1024 * 1024


class TemplateUploadForm(FlaskForm):
    json_file = FileField("JSON file", validators=[FileSize(MAX_TEMPLATE_BYTES, message="The file is larger than 1 MB.")])
    json_text = TextAreaField("…or paste the JSON here",
                              description='{"slug", "title", "description"?, "questions": [{"key", "type", "label", ...}]}')

    def validate_json_text(self, field: TextAreaField) -> None:
        if not (field.data or "").strip() and not self.json_file.data:
            raise ValidationError("Choose a JSON file or paste the template.")
