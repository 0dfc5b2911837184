"""The renderer's speed-ups change no email: every template x sample x variant (tests/email_cases.py) renders
byte for byte as recorded in tests/data/email_golden.json (recorded before the templates were restructured
into macros and cached modules), and the cached production environment renders what a fresh, uncached one
renders."""

from __future__ import annotations

import json

import email_cases
import jinja2
import pytest
from mentorflow import settings
from mentorflow.messaging import render

GOLDEN = json.loads(email_cases.GOLDEN.read_text())
CASES = list(email_cases.cases())


def test_the_cases_cover_every_template_and_the_golden_file_every_case():
    from mentorflow.messaging import samples

    assert {template for _, template, _ in CASES} == set(samples.template_names())
    assert {case for case, _, _ in CASES} == set(GOLDEN)


@pytest.mark.parametrize(("case", "template", "ctx"), CASES, ids=[case for case, _, _ in CASES])
def test_every_email_renders_byte_for_byte_as_recorded(case, template, ctx):
    assert email_cases.digest(render.render_email(template, ctx)) == GOLDEN[case], (
        f"{case} renders differently; if the template was changed on purpose, run tests/email_cases.py --write")


def test_the_cached_environment_renders_what_a_plain_reloading_jinja_one_renders():
    """The production environment (no reloads, dict globals, dict-first attributes, its own template dict)
    against Jinja's defaults with no template cache at all."""
    plain = jinja2.Environment(loader=jinja2.FileSystemLoader(str(settings.templates_dir())), auto_reload=True,
                               cache_size=0, **render.OPTIONS)
    for case, template, ctx in CASES:
        assert render.render_email(template, ctx) == render.render_email(template, ctx, plain), case


def test_attribute_lookup_on_a_dict_still_prefers_the_dicts_own_methods():
    """``x.items`` on a dict is its method, as in Jinja; any other name is the key."""
    env = render.environment()
    value = {"items": "a key", "full_name": "Ann"}
    assert env.getattr(value, "full_name") == "Ann"
    assert callable(env.getattr(value, "items"))
    assert env.from_string("{{ x.full_name }} {{ x.missing is undefined }}").render(x=value) == "Ann True"
