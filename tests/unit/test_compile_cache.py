"""tests/compile_cache.py shares what apps compile between the suite's apps: what it hands out is what compiling
gives."""
from __future__ import annotations

from tests.compile_cache import TEMPLATE_BYTECODE, compile_builder_anew
from tests.conftest import make_app


def test_every_route_builds_with_the_code_werkzeug_compiles_for_it(tmp_path):
    first = make_app(f"sqlite:///{tmp_path / 'one.sqlite'}", INSTANCE_PATH=str(tmp_path))
    second = make_app(f"sqlite:///{tmp_path / 'two.sqlite'}", INSTANCE_PATH=str(tmp_path))
    rules = list(second.url_map.iter_rules())
    assert len(rules) > 100
    shared = 0
    for rule in rules:
        for append_unknown, built in ((False, rule._build), (True, rule._build_unknown)):
            assert built.__self__ is rule  # bound to its own rule, so it calls that rule's converters
            assert built.__func__.__code__ == compile_builder_anew(rule, append_unknown).__code__, rule.rule
        twin = next(r for r in first.url_map.iter_rules() if r.rule == rule.rule and r.endpoint == rule.endpoint)
        shared += twin._build.__func__ is rule._build.__func__
    assert shared > 100  # the second app's builders are the first one's


def test_rules_build_their_own_addresses(app):
    from flask import url_for

    with app.test_request_context():
        assert url_for("staff.round_detail", round_id=7) == "/staff/rounds/7"
        assert url_for("staff.round_detail", round_id=8, tab="x") == "/staff/rounds/8?tab=x"


def test_templates_render_from_the_shared_bytecode(client):
    client.get("/login")
    cached = len(TEMPLATE_BYTECODE.stored)
    assert cached > 0
    assert "Sign in" in client.get("/login").get_data(as_text=True)
    assert len(TEMPLATE_BYTECODE.stored) == cached
