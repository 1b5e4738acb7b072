"""BatchRenderer (Jinja once per batch, personal values filled in after) gives exactly what render_email gives."""
from __future__ import annotations

import pytest

from wfsurvey.mail.render import KINDS, BatchRenderer, render_email

SHARED = {
    "round_title": "AM baseline 2026", "template_title": "Regional <collaboration> & \"partners\"",
    "closes_local": "Mon 2 Nov 2026, 5:00 PM PST", "opens_local": "Mon 5 Oct 2026, 9:00 AM PDT",
    "sender_name": "State Workforce Association", "reply_to": "",
}
EXTRA = {"cancelled": {"reason": "Merged into the spring round"},
         "forwarded": {"forwarded_by": "Ana <ana@x.org>", "forwarded_by_email": "ana@x.org"},
         "designation_alert": {
             "conflicts": [{"name": "Inland <Empire>", "region": "ie", "explanation": "No strict majority",
                            "nominations": [{"name": "Ana", "email": "ana@x.org", "organization": "", "count": 2,
                                             "boards": ["A", "B"]}]}],
             "unfilled": [{"name": "Los Angeles", "region": "la", "explanation": "No local board answered"}],
             "designated": 3, "regions": 5}}
PEOPLE = [
    {"contact_name": "Ana Ruiz", "organization_name": "Inland Empire WDB", "link": "https://s.example.org/r/abc",
     "opt_out_link": "https://s.example.org/r/abc/opt-out"},
    # HTML specials, odd spacing, a name long enough to cut the subject short, no opt-out link.
    {"contact_name": "O'Brien <Bo> & Co", "organization_name": "Org   with  spaces " + "x" * 300,
     "link": "https://s.example.org/r/d?e=1&f=2", "opt_out_link": ""},
    {"contact_name": "", "organization_name": "Ñandú College", "link": "", "opt_out_link": ""},
    # Outer spaces and line breaks change what tidying the text does: filled in before tidying.
    {"contact_name": " Padded\t", "organization_name": "Two\n\n\nlines ", "link": "https://s.example.org/r/g",
     "opt_out_link": "https://s.example.org/r/g/opt-out"},
]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_batch_rendering_matches_one_by_one(app, kind):
    shared = {**SHARED, **EXTRA.get(kind, {})}
    renderer = BatchRenderer(kind, **shared)
    for person in PEOPLE * 2:  # the second time round, every skeleton comes from the cache
        assert renderer.render(**person) == render_email(kind, **shared, **person)


def test_a_template_that_transforms_a_personal_value_falls_back_to_jinja(app):
    # A filter on a personal value cannot be filled in afterwards: the check catches it.
    from jinja2 import ChoiceLoader, DictLoader

    from wfsurvey.mail import render

    environments = render._environments()
    loaders = [env.loader for env in environments]
    override = DictLoader({
        "emails/reminder.txt": "{% block subject %}Hi {{ contact_name|upper }}{% endblock %}"
                               "{{ organization_name }} {{ link }} {{ opt_out_link }} {{ round_title }} {{ template_title }}"
                               " {{ closes_local }} {{ opens_local }} {{ sender_name }}",
    })
    for env, loader in zip(environments, loaders):
        env.loader = ChoiceLoader([override, loader])
        env.cache.clear()
    try:
        rendered = BatchRenderer("reminder", **SHARED).render(**PEOPLE[0])
        assert rendered.subject == "Hi ANA RUIZ"
        assert rendered == render_email("reminder", **SHARED, **PEOPLE[0])
    finally:
        for env, loader in zip(environments, loaders):
            env.loader = loader
            env.cache.clear()
