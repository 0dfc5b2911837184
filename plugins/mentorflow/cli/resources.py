"""``mentorflow resources check [FILE]`` and ``mentorflow resources list [--skill X] [--type T]``: the resource
library file for ops (docs/workspace.md, "Resource library")."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from mentorflow import settings
from mentorflow.contract import skills as skill_vocabulary
from mentorflow.errors import ImportFileError
from mentorflow.workspace.library import catalogue as library_file


def _load(path: str | None) -> library_file.Catalogue:
    target = Path(path) if path else settings.include_dir() / library_file.LIBRARY_FILE
    return library_file.load(target, settings.include_dir())


def cmd_check(args: argparse.Namespace) -> int:
    try:
        catalogue = _load(args.file)
    except ImportFileError as error:
        print(f"✗ {error}", file=sys.stderr)
        return 1
    for problem in catalogue.problems:
        print(f"✗ {problem}", file=sys.stderr)
    count = len(catalogue.resources)
    if catalogue.problems:
        print(f"{catalogue.path}: {count} resources are fine, {len(catalogue.problems)} problem(s): the items named "
              f"above are skipped on the partnership pages until they are fixed", file=sys.stderr)
        return 1
    print(f"✓ {catalogue.path}: {count} resources, no problems")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    try:
        catalogue = _load(args.file)
    except ImportFileError as error:
        print(f"✗ {error}", file=sys.stderr)
        return 1
    chosen = list(catalogue.resources.values())
    if args.skill:
        vocab = skill_vocabulary.vocabulary(settings.include_dir())
        if not vocab.is_known(args.skill):
            near = difflib.get_close_matches(skill_vocabulary.normalise(args.skill), vocab.names, n=1)
            print(f"✗ unknown skill {args.skill!r}" + (f" (closest: {near[0]!r})" if near else ""), file=sys.stderr)
            return 1
        skill = vocab.canonical(args.skill)
        chosen = [r for r in chosen if skill in r.skills]
    if args.type:
        chosen = [r for r in chosen if r.type == args.type]
    for r in sorted(chosen, key=lambda r: (r.title.casefold(), r.id)):
        print(f"{r.id}\t{r.type}\t{r.length}\t{r.title} — {r.creator}\t[{', '.join(r.skills)}]")
    print(f"{len(chosen)} resource(s)", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    res = sub.add_parser("resources", help="the resource library file: check it after an edit, list what it holds")
    actions = res.add_subparsers(dest="action", required=True)
    check = actions.add_parser("check", help="check every item; name the line, item, field and reason of each problem")
    check.add_argument("file", nargs="?", help="default: include/resources/library.yaml")
    check.set_defaults(func=cmd_check)
    listing = actions.add_parser("list", help="the resources, optionally for one skill or of one type")
    listing.add_argument("--skill", help="a skill of the vocabulary (synonyms are understood)")
    listing.add_argument("--type", choices=library_file.TYPES)
    listing.add_argument("--file", help="default: include/resources/library.yaml")
    listing.set_defaults(func=cmd_list)
