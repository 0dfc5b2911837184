"""Rendering email templates (HTML and plain text) from include/templates/email/.

HTML is autoescaped: a participant's free text can never inject markup.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2

from mentorflow import settings


@lru_cache(maxsize=4)
def environment(templates_dir: str | None = None) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir or str(settings.templates_dir())),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def render_email(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, html, text) for ``email/<template>.{html,txt}``; the subject is set in the text template."""
    env = environment()
    text_template = env.get_template(f"email/{template}.txt")
    module = text_template.make_module(context)
    subject = " ".join(str(getattr(module, "subject", "")).split())
    if not subject:
        raise ValueError(f"email/{template}.txt does not set a subject")
    text = str(module).strip() + "\n"
    html = env.get_template(f"email/{template}.html").render(context)
    return subject, html, text
