"""domain.text.plural: the one home for "1 seat" / "2 seats" in flashes, explanations and the event log."""
from wfsurvey.domain.text import plural


def test_plural_counts_in_grouped_digits_with_the_word_that_goes_with_them():
    assert plural(1, "seat") == "1 seat"
    assert plural(0, "seat") == "0 seats"
    assert plural(2, "local board") == "2 local boards"
    assert plural(1, "person", "people") == "1 person"
    assert plural(1500, "person", "people") == "1,500 people"
