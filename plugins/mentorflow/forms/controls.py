"""The application page's form controls as Python functions: the macros of ``forms/_macros.html`` with the
same names, byte for byte, without Jinja's cost per call.

The application page calls about 500 macros and escapes about 1,400 values per render (the skill rows, ten
personality questions, the partner lists and the small helpers ``is_required``, ``req_mark``, ``req_attrs``,
``described``, ``messages`` beside every field): most of its render time (docs/performance.md, Forms). Here a
control is one string built with the page's values, errors and required fields bound once (:class:`Controls`),
and each option list is escaped once: the constant lists (skill levels, the personality scale) once per
process, the roster's names once per page, however many ``<select>`` show them.

The other forms still use the macros; ``tests/test_forms_golden.py`` checks that each function here renders
what its macro renders, and that the application page renders as recorded before the change.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from markupsafe import Markup, escape

from mentorflow.forms.models import TIPI_SCALE

REQ_MARK = ' <span class="req">(required)</span>'
REQ_ATTRS = ' required aria-required="true"'
ARIA_REQUIRED = ' aria-required="true"'
SKILL_LEVELS: tuple[tuple[str, str], ...] = tuple((str(n), str(n)) for n in range(1, 6))
TIPI_OPTIONS: tuple[tuple[str, str], ...] = tuple((str(i), f"{i} – {label}") for i, label in enumerate(TIPI_SCALE, 1))

Options = Iterable[tuple[Any, Any]]
_Escaped = list[tuple[str, str, str]]  # per option: its value as compared, the markup before and after " selected"
_constant_options: dict[int, tuple[Options, _Escaped]] = {}  # lists built once per process, escaped once


def escaped_options(options: Options) -> _Escaped:
    return [(str(value), f'<option value="{escape(value)}"', f">{escape(text)}</option>\n") for value, text in options]


def _constant(options: Options) -> _Escaped | None:
    cached = _constant_options.get(id(options))
    return cached[1] if cached is not None and cached[0] is options else None


for _options in (SKILL_LEVELS, TIPI_OPTIONS):
    _constant_options[id(_options)] = (_options, escaped_options(_options))


def req_mark(required: Any) -> str:
    return REQ_MARK if required else ""


def req_attrs(required: Any) -> str:
    return REQ_ATTRS if required else ""


def datalist_options(names: Iterable[str]) -> Markup:
    """``<option value="…">`` for each name, as the page's ``<datalist>`` lists them."""
    return Markup("".join(f'<option value="{escape(name)}">' for name in names))


_vocabulary_shown: tuple[Any, Markup] = (None, Markup())  # the skill vocabulary last shown and its options


def skill_options(vocabulary: Any) -> Markup:
    """The skill vocabulary's names as ``<datalist>`` options, escaped once per version of the vocabulary."""
    global _vocabulary_shown
    shown = _vocabulary_shown
    if shown[0] is not vocabulary:
        shown = _vocabulary_shown = (vocabulary, datalist_options(vocabulary.names))
    return shown[1]


class Controls:
    """One page's controls: each method is the macro of the same name with the page's values, errors and
    required fields (``forms.fields.required``) already given."""

    def __init__(self, values: Mapping[str, Any], errors: Mapping[str, str], required_fields: Collection[str] = ()):
        self.values, self.errors, self.required_fields = values, errors, required_fields
        self._escaped: dict[int, tuple[Options, _Escaped]] = {}

    def is_required(self, name: str) -> bool:
        return name in self.required_fields

    def described(self, name: str, hint: Any) -> Markup:
        invalid = name in self.errors
        ids = ([f"{name}-hint"] if hint else []) + ([f"{name}-error"] if invalid else [])
        out = f' aria-describedby="{escape(" ".join(ids))}"' if ids else ""
        return Markup(out + ' aria-invalid="true"' if invalid else out)

    def messages(self, name: str, hint: Any) -> Markup:
        out = f'<p class="hint" id="{escape(name)}-hint">{escape(hint)}</p>' if hint else ""
        if name in self.errors:
            out += (f'<p class="error" id="{escape(name)}-error"><span class="visually-hidden">Error:</span> '
                    f"{escape(self.errors[name])}</p>")
        return Markup(out)

    def _head(self, name: str, label: Any, required: Any) -> str:
        """The field's ``<div>``, its label and its messages, as input, textarea and select begin."""
        return (f'<div class="field{" has-error" if name in self.errors else ""}">\n'
                f'<label for="{escape(name)}">{escape(label)}{req_mark(required)}</label>\n')

    def input(self, name: str, label: Any, type: str = "text", hint: Any = None, required: Any = False,
              extra: str = "") -> Markup:
        required = required or self.is_required(name)
        return Markup(
            f"{self._head(name, label, required)}{self.messages(name, hint)}\n"
            f'<input type="{escape(type)}" id="{escape(name)}" name="{escape(name)}" '
            f'value="{escape(self.values.get(name, ""))}"{self.described(name, hint)}{req_attrs(required)} {extra}>\n'
            "</div>\n")

    def textarea(self, name: str, label: Any, hint: Any = None, required: Any = False, maxlength: int = 2000,
                 rows: int = 4) -> Markup:
        required = required or self.is_required(name)
        return Markup(
            f"{self._head(name, label, required)}{self.messages(name, hint)}\n"
            f'<textarea id="{escape(name)}" name="{escape(name)}" rows="{escape(rows)}" maxlength="{escape(maxlength)}"'
            f'{self.described(name, hint)}{req_attrs(required)}>{escape(self.values.get(name, ""))}</textarea>\n'
            "</div>\n")

    def radios(self, name: str, legend: Any, options: Options, hint: Any = None, inline: bool = False) -> Markup:
        required = self.is_required(name)
        current = self.values.get(name, "")
        choices = "".join(
            f'<label class="choice"><input type="radio" name="{escape(name)}" value="{escape(value)}"'
            f'{" checked" if current == str(value) else ""}{" required" if required else ""}> {escape(text)}</label>\n'
            for value, text in options)
        return Markup(
            f'<fieldset class="field{" has-error" if name in self.errors else ""}{" inline" if inline else ""}" '
            f'id="{escape(name)}" role="radiogroup"{ARIA_REQUIRED if required else ""}'
            f"{self.described(name, hint)}>\n<legend>{escape(legend)}{req_mark(required)}</legend>\n"
            f"{self.messages(name, hint)}\n{choices}</fieldset>\n")

    def select(self, name: str, label: Any, options: Options, hint: Any = None, blank: Any = "Choose…") -> Markup:
        required = self.is_required(name)
        current = self.values.get(name, "")
        choices = "".join(f"{head}{' selected' if current == value else ''}{tail}"
                          for value, head, tail in self._options(options))
        first = f'<option value="">{escape(blank)}</option>' if blank else ""
        return Markup(
            f"{self._head(name, label, required)}{self.messages(name, hint)}\n"
            f'<select id="{escape(name)}" name="{escape(name)}"{self.described(name, hint)}{req_attrs(required)}>\n'
            f"{first}{choices}</select>\n"
            "</div>\n")

    def _options(self, options: Options) -> _Escaped:
        """The options escaped: a constant list once per process, any other list once per page."""
        found = _constant(options)
        if found is not None:
            return found
        cached = self._escaped.get(id(options))
        if cached is None or cached[0] is not options:
            cached = self._escaped[id(options)] = (options, escaped_options(options))
        return cached[1]

    def summary(self, notice: Any, label: Callable[[str], Any]) -> Markup:
        out = f'<div class="alert" role="alert"><p>{escape(notice)}</p></div>' if notice else ""
        if self.errors:
            count = len(self.errors)
            items = "".join(f'<li><a href="#{escape(name)}">{escape(label(name))}: {escape(message)}</a></li>'
                            for name, message in self.errors.items())
            out += (f'<div class="error-summary" role="alert" tabindex="-1" id="error-summary">\n'
                    f"<h2>Please check {count} answer{'s' if count != 1 else ''}</h2>\n<ul>{items}</ul>\n"
                    "<p>Everything else you typed is kept below.</p>\n</div>\n")
        return Markup(out)


def form_open(action: Any, csrf_field: Any, csrf_value: Any) -> Markup:
    return Markup(f'<form method="post" action="{escape(action)}" novalidate>\n'
                  f'<input type="hidden" name="{escape(csrf_field)}" value="{escape(csrf_value)}">\n')


def saved_notice(saved: Any, deadline: Any) -> Markup:
    return Markup('<div class="success" role="status"><p>Thank you, your answers are saved. You can change them '
                  f"here until {escape(deadline)}.</p></div>" if saved else "")
