"""A template definition of any shape is answered with problems in words, never an exception: the API, the JSON
upload and the builder all pass what people send straight to the check."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from wfsurvey.domain.questions import QUESTION_TYPES
from wfsurvey.schemas.templates import as_fields, describe
from wfsurvey.services.templates import check_definition

scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 12), st.floats(allow_nan=True), st.text(max_size=8),
                    st.sampled_from(["yes", "no", "a", "q1", "q2", "cnc", "", "lwib"]))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                            st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                           max_leaves=8)
rules = st.one_of(json_values, st.fixed_dictionaries({"question": st.sampled_from(["q1", "q2", "", "s"])},
                                                     optional={"equals": json_values, "not_equals": json_values,
                                                               "includes": json_values, "org_type": json_values,
                                                               "colour": json_values}))
options = st.lists(st.fixed_dictionaries({"value": json_values, "label": json_values},
                                         optional={"exclusive": json_values}), max_size=3)
items = st.one_of(json_values, st.fixed_dictionaries(
    {"key": st.sampled_from(["q1", "q2", "s", "", "Bad Key"]), "type": st.sampled_from([*QUESTION_TYPES, "essay"])},
    optional={"label": json_values, "options": st.one_of(options, json_values), "show_if": rules,
              "min": json_values, "max": json_values, "required": json_values}))
definitions = st.one_of(json_values, st.fixed_dictionaries(
    {"slug": json_values, "title": json_values}, optional={"questions": st.one_of(st.lists(items, max_size=5), json_values)}))


@settings(max_examples=400, deadline=None)
@given(definitions)
def test_any_definition_gets_a_cleaned_template_or_problems_in_words(definition):
    data, problems = check_definition(definition)
    assert (data is None) == bool(problems)
    for problem in problems:
        assert problem.sentence and problem.message[0].isupper() or problem.message[0] in "“"
    assert describe(problems).count(": ") >= len(problems)
    as_fields(problems)  # the API's error.fields: every message placed, whatever the paths
