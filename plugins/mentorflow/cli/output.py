"""What several commands print the same way: a cohort file's problems, and where the command looked."""

from __future__ import annotations

import sys
from typing import TextIO

from mentorflow import settings
from mentorflow.errors import CohortConfigError


def print_errors(errors: list[CohortConfigError]) -> None:
    for error in errors:
        print(f"✗ {error.path}", file=sys.stderr)
        for problem in error.problems:
            print(f"    {problem}", file=sys.stderr)


def say_where(place: settings.Place | None, out: TextIO | None = None) -> None:
    """Where this command found (or looked for) the cohorts, and how to point it elsewhere."""
    out = out or sys.stdout
    if place is None:
        return
    if place.found:
        print(f"# {place.describe()}", file=out)
    else:
        print("# no cohort files found; looked in " + " and ".join(str(p) for p in place.looked), file=out)
        print("# create one with `mentorflow cohort new`, run `mentorflow demo`, or name the folders: "
              "MENTORFLOW_COHORTS_DIR, MENTORFLOW_HOME or `mentorflow --home DIR` (docs/settings.md)", file=out)
    if place.other is not None:
        print(f"# the demo's cohorts are in {place.other / 'cohorts'}: `mentorflow --home {place.other} …`", file=out)
