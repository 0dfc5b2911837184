"""Rendering email templates (HTML and plain text) from include/templates/email/.

HTML is autoescaped: a participant's free text can never inject markup.

Speed (a kickoff goes to every participant at once): the environment is built once per process and never
re-reads a template it has compiled (``auto_reload=False``: no ``stat()`` per template and render; a
process that must see an edited template starts anew, as every Airflow task does). The templates share
their pieces as macros imported without context (``_parts.html``, ``_parts.txt``, the kickoff guidance),
which Jinja evaluates once per process, instead of ``{% include %}`` or ``{% import … with context %}``,
which build a new template context at every use. docs/performance.md has the figures.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from functools import lru_cache
from typing import Any

import jinja2

from mentorflow import settings

# how every email template is read: autoescaped HTML, strict about missing values, block tags on their own lines
OPTIONS: dict[str, Any] = {
    "autoescape": jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=True),
    "undefined": jinja2.StrictUndefined,
    "trim_blocks": True,
    "lstrip_blocks": True,
}


class EmailEnvironment(jinja2.Environment):
    """An environment whose templates' globals are a plain dict, not Jinja's ``ChainMap`` over the
    environment's globals: every template context and every ``{% import %}`` reads them (``dict(globals)``,
    ``globals.keys()``), and a ChainMap does that in Python, key by key. Nothing changes the globals after
    the environment is built, so the snapshot is the same map (Jinja's own advice: "avoid modifying any
    globals after a template is loaded")."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.loaded: dict[tuple[str, str | None], jinja2.Template] = {}

    def get_template(self, name: str | jinja2.Template, parent: str | None = None,
                     globals: MutableMapping[str, Any] | None = None) -> jinja2.Template:  # noqa: A002 (Jinja's name)
        """Each ``{% import %}`` and ``extends`` asks for its template at every render: without reloading,
        the answer never changes, so a dict keeps it (Jinja's own cache takes a lock and a weak reference)."""
        if globals is not None or not isinstance(name, str) or self.auto_reload:
            return super().get_template(name, parent, globals)
        found = self.loaded.get((name, parent))
        if found is None:
            found = self.loaded[(name, parent)] = super().get_template(name, parent)
        return found

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``person.full_name`` on a plain dict: its key at once. Jinja tries ``getattr(obj, attribute)``
        first, and raising and catching that AttributeError is the costliest part of most ``{{ … }}`` in an
        email. Same result: a plain dict has no attribute beyond those of its class (``DICT_ATTRIBUTES``)."""
        if type(obj) is dict and attribute not in DICT_ATTRIBUTES and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


DICT_ATTRIBUTES = frozenset(dir(dict))


@lru_cache(maxsize=4)
def environment(templates_dir: str | None = None) -> jinja2.Environment:
    loader = jinja2.FileSystemLoader(templates_dir or str(settings.templates_dir()))
    return EmailEnvironment(loader=loader, auto_reload=False, **OPTIONS)


def render_email(template: str, context: dict[str, Any],
                 env: jinja2.Environment | None = None) -> tuple[str, str, str]:
    """(subject, html, text) for ``email/<template>.{html,txt}``; the subject is set in the text template,
    which is rendered first: the HTML template sees what it set as ``text`` (``text.subject``), so work both
    formats need is done once per email. ``env``: another environment built with :data:`OPTIONS` (the
    benchmark's and tests' baselines)."""
    env = env or environment()
    text_template = env.get_template(f"email/{template}.txt")
    module = text_template.make_module(context)
    subject = " ".join(str(getattr(module, "subject", "")).split())
    if not subject:
        raise ValueError(f"email/{template}.txt does not set a subject")
    text = str(module).strip() + "\n"
    html = env.get_template(f"email/{template}.html").render(context, text=module)
    return subject, html, text
