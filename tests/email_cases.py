"""Every email template x sample, and the variants a run gives the kickoff introductions (several partners,
a symbiotic cohort, no goals, no link, markup in a name), for the byte-for-byte check of the renderer
(tests/test_email_golden.py) against the digests in tests/data/email_golden.json.

    python tests/email_cases.py --write   # after changing a template on purpose: record the new digests
"""

from __future__ import annotations

import copy
import hashlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "data" / "email_golden.json"
NUMBERS = (1, 2, 3)


def _two_partners(ctx: dict[str, Any]) -> None:
    second = {**copy.deepcopy(ctx["partners"][0]), "my_role": "mentor", "partner_goals": ""}
    second["partner"]["full_name"] = "Jo Lee"
    ctx["partners"].append(second)
    ctx["meeting_invites"] = [*ctx["meeting_invites"], {"when": "Friday 2 April 2027, 10:00 CEST",
                                                         "overlap": False, "names": "Jo Lee"}]


def _markup(ctx: dict[str, Any]) -> None:
    ctx["person"] = {**ctx["person"], "full_name": "Ann <b>O'Neil</b> & co"}
    ctx["cohort"] = {**ctx["cohort"], "name": 'Spring "<i>2027</i>"'}
    for item in ctx.get("partners", []):
        if isinstance(item, dict) and "partner" in item:
            item["partner"]["full_name"] = "Priya <script>x</script>"
            item["reasons"] = ["a < b & c > d", "\"quoted\" 'single'"]
    if "my_goals" in ctx:
        ctx["my_goals"] = '<script>alert("x")</script> & grow'


def _set(**values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda ctx: ctx.update(copy.deepcopy(values))


KICKOFF_VARIANTS: dict[str, Callable[[dict[str, Any]], None]] = {
    "two-partners": _two_partners,
    "symbiotic": lambda ctx: ctx.update(cohort={**ctx["cohort"], "program_type": "symbiotic"}),
    "mentor": lambda ctx: ctx["partners"][0].update(my_role="mentor"),
    "no-goals": _set(my_goals="", my_goals_shared=False),
    "not-shared": _set(my_goals_shared=False),
    "no-resources": _set(resources=[]),
    "no-link": _set(partnership_link=None),
    "no-invites": _set(meeting_invites=[]),
    "no-reasons": lambda ctx: ctx["partners"][0].update(reasons=[], partner_goals=None),
}
GENERAL_VARIANTS: dict[str, Callable[[dict[str, Any]], None]] = {"markup": _markup}


def cases() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(case id, template, context) for every template, person number and variant."""
    from mentorflow.messaging import samples

    for template in samples.template_names():
        variants = {**GENERAL_VARIANTS, **(KICKOFF_VARIANTS if template in ("kickoff", "group_kickoff") else {})}
        for number in NUMBERS:
            yield f"{template}/{number}", template, samples.context(template, number)
        for name, change in variants.items():
            ctx = copy.deepcopy(samples.context(template, 7))
            change(ctx)
            yield f"{template}/{name}", template, ctx


def digest(rendered: tuple[str, str, str]) -> str:
    return hashlib.sha256("\0".join(rendered).encode()).hexdigest()


def digests() -> dict[str, str]:
    from mentorflow.messaging.render import render_email

    return {case: digest(render_email(template, ctx)) for case, template, ctx in cases()}


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "plugins"))
    if sys.argv[1:] != ["--write"]:
        raise SystemExit(__doc__)
    GOLDEN.write_text(json.dumps(digests(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN.relative_to(ROOT)}")
