"""Architecture rules for the mentorflow package, checked statically.

Pure ``ast`` analysis of plugins/mentorflow/ and dags/: nothing of the project is imported, so
these tests take milliseconds and need neither Airflow nor a database. The package is being
restructured, so every check is generic: the tables below (ALLOWED_IMPORTS, LAZY_IMPORT_MODULES,
DAG_FILE_IMPORTS, MAX_LINES) are the only places to adjust.

One test per rule:
1. no import cycle between modules (imports inside functions count, and so do ``if TYPE_CHECKING:``
   ones: a cycle that only type checking closes still ties two modules into one);
2. a package imports only the packages ALLOWED_IMPORTS grants it (``TYPE_CHECKING`` imports
   count: a type-only dependency is still a dependency);
3. no private name (``_x``) crosses a package boundary, neither ``from mentorflow.a.b import _x``
   nor ``module._x`` on a module of another package;
4. no module over MAX_LINES lines unless its docstring says why, in a sentence starting
   "Longer than 300 lines because";
5. DAG files import only mentorflow.orchestration (thin wiring);
6. an import of our own code inside a function sits in a module of LAZY_IMPORT_MODULES or carries
   a trailing ``# lazy: <reason>`` comment.

A package is the first component after ``mentorflow.`` (``mentorflow.quality.gate`` is in
``quality``); a top-level module is a package named after itself (``errors``, ``settings``).
``from mentorflow.x import y`` is an import of the module ``mentorflow.x.y`` when that module
exists, else of ``mentorflow.x``. Importing a submodule also runs its package's ``__init__``;
that implicit edge is not counted (only the written import is).
"""

from __future__ import annotations

import ast
import fnmatch
import itertools
import re
from collections import deque
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOP = "mentorflow"

# --------------------------------------------------------------------------------------------
# The layering: package -> the packages it may import (its own package is always allowed).
# Bottom to top; each level may import every level below it. Same-level edges are listed one by
# one with the reason they exist; an edge that is not listed is not allowed.
# --------------------------------------------------------------------------------------------
_BELOW_1 = frozenset({
    "mentorflow",  # the root package (__init__.py: only __version__)
    "errors", "settings", "contract", "privacy",
})
_BELOW_2 = _BELOW_1 | {"cohorts", "store"}
_BELOW_3 = _BELOW_2 | {"roster", "matching", "outcomes", "messaging", "forms", "quality", "reports", "personal_data",
                       "imports", "selection", "alternatives", "workspace"}
_BELOW_4 = _BELOW_3 | {"stages"}
_BELOW_5 = _BELOW_4 | {"orchestration", "committee"}

ALLOWED_IMPORTS: dict[str, frozenset[str]] = {
    # level 0: imports nothing of ours
    "mentorflow": frozenset(),
    "privacy": frozenset(),
    "errors": frozenset({"privacy"}),  # error texts never carry a recipient's address
    "settings": frozenset(),
    "contract": frozenset({"errors"}),  # a malformed file raises the shared ImportFileError
    # level 1
    "cohorts": _BELOW_1,
    "store": _BELOW_1,
    # level 2 (not allowed on purpose: forms -> messaging, outcomes -> matching)
    "roster": _BELOW_2,
    "matching": _BELOW_2 | {
        "roster",    # scoring keeps a mentor out of the seeker's reporting chain
    },
    "outcomes": _BELOW_2,
    "messaging": _BELOW_2,
    "forms": _BELOW_2 | {
        "workspace",  # the forms app serves the partnership page's sections and pre-fills the pulse from its log
        "matching",  # the self-selection requests form refuses acceptances beyond the capacity rule the matcher applies
    },
    "quality": _BELOW_2 | {
        "roster",    # roster suites check reporting chains and management cycles
        "reports",   # the data-quality report is written with the report writer
        "matching",  # match-stage suites check the proposed matches against the MatchInput
    },
    "personal_data": _BELOW_2,
    "selection": _BELOW_2 | {
        "matching",  # recommendations are the matcher's own scores, hard rules and reasons
    },
    "alternatives": _BELOW_2 | {
        "matching",  # circles and written mentoring reuse the matcher's scores, hard rules and solver
    },
    "imports": _BELOW_2,
    "workspace": _BELOW_2 | {
        "outcomes",  # the library suggests resources for the unknown-unknowns signal of past cohorts
        "messaging",  # the first-meeting invite names its attendees on one line, as email headers do
    },
    "reports": _BELOW_2 | {
        "outcomes",  # the HR report includes the learned weight suggestion
        "matching",  # fairness audit of the proposed matches
    },
    # level 3
    "stages": _BELOW_3,
    # level 4
    "orchestration": _BELOW_4,
    # the console (level 4, next to orchestration): it shows the committee report, fairness audit, coverage
    # and certificate (reports, matching), answers the HITL task through the forms app's REST client (forms),
    # and its re-solve runs the match stage's own decide and write (stages: a what-if is what the stage
    # would propose with the committee's edits), so stages never import it
    "committee": _BELOW_4,
    # HR's reports by link (level 4, next to the console): the same Airflow login check, refusals and page headers
    # as the console (committee), the report files the store records (reports)
    "hr": _BELOW_4 | {"committee"},
    # level 5
    "demo": _BELOW_5,
    "cli": _BELOW_5 | {
        "demo",      # `mentorflow demo` and `mentorflow generate` run the demo and the generator
    },
}

# Modules whose functions may import our own code lazily, with the reason (fnmatch patterns on the
# module name). Anywhere else a function-level import needs a trailing ``# lazy: <reason>``.
LAZY_IMPORT_MODULES: dict[str, str] = {
    "mentorflow.orchestration.lifecycle_dags": "parse-time hygiene: DAG files must not import the stage code",
    "mentorflow.orchestration.committee_steps": "parse-time hygiene: DAG files must not import the stage code",
    "mentorflow.orchestration.selection_dags": "parse-time hygiene: DAG files must not import the stage code",
    "mentorflow.orchestration.workspace_dags": "parse-time hygiene: DAG files must not import the stage code",
    "mentorflow.cli.*": "each subcommand imports only what it needs",
}

# What a DAG file under dags/ may import (a module and its submodules).
DAG_FILE_IMPORTS = ("mentorflow.orchestration", "__future__")

MAX_LINES = 300
_LONG_REASON = re.compile(rf"(?:\A|[.!?:;]\s+|\n\s*)Longer than {MAX_LINES} lines because\s+\w")
_LAZY_COMMENT = re.compile(r"#\s*lazy:[ \t]*(\S.*)")


# --------------------------------------------------------------------------------------------
# The model: every module of plugins/mentorflow and every DAG file, with its imports.
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Import:
    where: str                    # "plugins/mentorflow/quality/gate.py:154"
    statement: str                # the import statement, on one line
    target: str                   # resolved module, e.g. "mentorflow.quality.report" or "os"
    names: tuple[str, ...]        # names taken from target by ``from target import ...``
    function: str | None          # enclosing function (qualified), None outside functions
    type_checking: bool           # under ``if TYPE_CHECKING:``
    lazy_reason: str | None       # text of a ``# lazy: <reason>`` comment on the statement

    def __str__(self) -> str:
        return f"{self.where}: {self.statement}"


@dataclass(frozen=True)
class Module:
    name: str                     # "mentorflow.quality.gate"; "dags.<file>" for DAG files
    rel: str                      # path relative to the repository root
    package: str | None           # "quality"; None for DAG files
    lines: int
    docstring: str
    imports: tuple[Import, ...]
    module_aliases: dict[str, str]   # local name -> module of ours it is bound to
    tree: ast.Module


@dataclass(frozen=True)
class Project:
    modules: tuple[Module, ...]   # the package
    dag_files: tuple[Module, ...]

    @property
    def known(self) -> frozenset[str]:
        return frozenset(m.name for m in self.modules)


def is_ours(name: str) -> bool:
    return name == TOP or name.startswith(TOP + ".")


def package_of(name: str) -> str | None:
    parts = name.split(".")
    if parts[0] != TOP:
        return None
    return parts[1] if len(parts) > 1 else TOP


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")  # where statements nest


def _import_nodes(nodes, scope: str | None, in_function: bool, type_checking: bool, found: list):
    """Every import statement, with its enclosing function and whether it is type-checking only."""
    for node in nodes:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append((node, scope if in_function else None, type_checking))
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            _import_nodes(node.body, scope, in_function, True, found)
            _import_nodes(node.orelse, scope, in_function, type_checking, found)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            inner = f"{scope}.{node.name}" if scope else node.name
            _import_nodes(node.body, inner, in_function or not isinstance(node, ast.ClassDef),
                          type_checking, found)
        else:
            for block in _BLOCKS:
                _import_nodes(getattr(node, block, ()), scope, in_function, type_checking, found)


def _segment(lines: list[str], node: ast.stmt) -> str:
    """The source of a statement (ast.get_source_segment re-splits the whole file on every call)."""
    chunk = [line.encode() for line in lines[node.lineno - 1:node.end_lineno]]
    chunk[-1] = chunk[-1][:node.end_col_offset]
    chunk[0] = chunk[0][node.col_offset:]
    return b"\n".join(chunk).decode()


def _parse(name: str, path: Path, root: Path, package: str | None, is_init: bool,
           known: frozenset[str]) -> Module:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(path))
    rel = path.relative_to(root).as_posix()
    lines = source.splitlines()
    found: list = []
    _import_nodes(tree.body, None, False, False, found)
    imports: list[Import] = []
    aliases: dict[str, str] = {}
    for node, function, type_checking in found:
        statement = " ".join(_segment(lines, node).split())
        statement = statement.replace("( ", "(").replace(", )", ")")
        # an import statement holds no string, so a "#" on its lines starts a comment
        match = _LAZY_COMMENT.search("\n".join(lines[node.lineno - 1:node.end_lineno]))
        lazy = match.group(1).strip() if match else None
        targets: dict[str, list[str]] = {}
        if isinstance(node, ast.Import):
            for alias in node.names:
                targets.setdefault(alias.name, [])
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    first = alias.name.split(".")[0]
                    aliases[first] = first
        else:
            if node.level and package is None:  # relative import in a DAG file: kept as written
                base = "." * node.level + (node.module or "")
            elif node.level:
                parts = name.split(".") if is_init else name.split(".")[:-1]
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in known:
                    targets.setdefault(submodule, [])
                    aliases[alias.asname or alias.name] = submodule
                else:
                    targets.setdefault(base, []).append(alias.name)
        for target, names in targets.items():
            imports.append(Import(f"{rel}:{node.lineno}", statement, target, tuple(names),
                                  function, type_checking, lazy))
    module_aliases = {local: module for local, module in aliases.items() if is_ours(module)}
    return Module(name, rel, package, len(lines), ast.get_docstring(tree) or "",
                  tuple(imports), module_aliases, tree)


def load_project(root: Path) -> Project:
    package_dir, dags_dir = root / "plugins" / TOP, root / "dags"
    names: dict[str, Path] = {}
    for path in sorted(package_dir.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    known = frozenset(names)
    modules = tuple(_parse(name, path, root, package_of(name), path.name == "__init__.py", known)
                    for name, path in names.items())
    dag_files = tuple(
        _parse("dags." + ".".join(path.relative_to(dags_dir).with_suffix("").parts), path, root,
               None, False, known)
        for path in sorted(dags_dir.rglob("*.py")) if "__pycache__" not in path.parts)
    return Project(modules, dag_files)


@cache
def project() -> Project:
    return load_project(ROOT)


# --------------------------------------------------------------------------------------------
# The checks: each returns its violations as lines of text, empty when the rule holds.
# --------------------------------------------------------------------------------------------
def import_cycles(proj: Project) -> list[str]:
    """One shortest cycle per strongly connected group of modules, each edge with its import."""
    known = proj.known
    edges: dict[str, dict[str, Import]] = {m.name: {} for m in proj.modules}
    for module in proj.modules:
        for imp in module.imports:
            if imp.target in known and imp.target != module.name:
                edges[module.name].setdefault(imp.target, imp)

    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def connect(node: str) -> None:  # Tarjan
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            connect(node)

    problems = []
    for group in sorted(groups):
        start, members = group[0], set(group)
        came_from: dict[str, str] = {}
        queue = deque([start])
        while queue and start not in came_from:
            node = queue.popleft()
            for nxt in sorted(edges[node]):
                if nxt in members and nxt not in came_from:
                    came_from[nxt] = node
                    queue.append(nxt)
        path = [start]
        while len(path) == 1 or path[-1] != start:
            path.append(came_from[path[-1]])
        path.reverse()
        lines = [f"import cycle {' -> '.join(path)}  (strongly connected: {', '.join(group)})"]
        lines += [f"    {a} -> {b}: {edges[a][b]}" for a, b in itertools.pairwise(path)]
        problems.append("\n".join(lines))
    return problems


def layer_violations(proj: Project, allowed: dict[str, frozenset[str]]) -> list[str]:
    problems = []
    for module in proj.modules:
        own = module.package
        if own not in allowed:
            continue  # reported by test_layer_table_covers_every_package
        for imp in module.imports:
            other = package_of(imp.target)
            if other is not None and other != own and other not in allowed[own]:
                problems.append(f"{imp}  [{own} may not import {other}]")
    return problems


def private_imports(proj: Project) -> list[str]:
    known = proj.known
    problems = []
    for module in proj.modules + proj.dag_files:
        for imp in module.imports:
            other = package_of(imp.target)
            if other is None or other == module.package:
                continue
            private = [part for part in imp.target.split(".") if _is_private(part)]
            private += [name for name in imp.names if _is_private(name)]
            if private:
                problems.append(f"{imp}  [private {', '.join(private)} of {other}]")
        for node in ast.walk(module.tree) if module.module_aliases else ():
            if not (isinstance(node, ast.Attribute) and _is_private(node.attr)):
                continue
            dotted, value = [], node.value
            while isinstance(value, ast.Attribute):
                dotted.append(value.attr)
                value = value.value
            if not isinstance(value, ast.Name) or value.id not in module.module_aliases:
                continue
            target = ".".join([module.module_aliases[value.id], *reversed(dotted)])
            other = package_of(target)
            if target in known and other != module.package:
                expression = ".".join([value.id, *reversed(dotted), node.attr])
                problems.append(f"{module.rel}:{node.lineno}: {expression}  "
                                f"[private {node.attr} of {target}, package {other}]")
    return problems


def long_modules(proj: Project) -> list[str]:
    return [f"{m.rel}:1: {m.lines} lines (max {MAX_LINES}) and no 'Longer than {MAX_LINES} lines "
            f"because ...' in its docstring"
            for m in proj.modules + proj.dag_files
            if m.lines > MAX_LINES and not _LONG_REASON.search(m.docstring)]


def dag_file_imports(proj: Project, allowed: tuple[str, ...] = DAG_FILE_IMPORTS) -> list[str]:
    return [f"{imp}  [a DAG file imports only {' or '.join(allowed)}]"
            for module in proj.dag_files for imp in module.imports
            if not any(imp.target == ok or imp.target.startswith(ok + ".") for ok in allowed)]


def unexplained_lazy_imports(proj: Project, allowed: dict[str, str]) -> list[str]:
    problems, seen = [], set()
    for module in proj.modules + proj.dag_files:
        if any(fnmatch.fnmatchcase(module.name, pattern) for pattern in allowed):
            continue
        for imp in module.imports:
            if imp.function and is_ours(imp.target) and not imp.lazy_reason and imp.where not in seen:
                seen.add(imp.where)
                problems.append(f"{imp}  [in {imp.function}()]")
    return problems


def _check(rule: str, problems: list[str], hint: str) -> None:
    if problems:
        pytest.fail(f"{len(problems)} violation(s) of: {rule}\n" + "\n".join(problems) + f"\n{hint}",
                    pytrace=False)


# --------------------------------------------------------------------------------------------
# The tests.
# --------------------------------------------------------------------------------------------
def test_layer_table_covers_every_package():
    """Every package of the tree is placed in ALLOWED_IMPORTS, and the table itself has no cycle."""
    unplaced = sorted({m.package for m in project().modules} - set(ALLOWED_IMPORTS))
    reach = {package: set(allowed) - {package} for package, allowed in ALLOWED_IMPORTS.items()}
    for middle, via in reach.items():  # transitive closure (Warshall)
        for reachable in reach.values():
            if middle in reachable:
                reachable |= via
    circular = sorted(package for package in reach if package in reach[package])
    _check("ALLOWED_IMPORTS places every package, without a cycle",
           [f"package {package} is not in ALLOWED_IMPORTS" for package in unplaced]
           + [f"ALLOWED_IMPORTS lets {package} import itself (cycle among {sorted(reach[package] & set(circular))})"
              for package in circular],
           "Place each package at its level in ALLOWED_IMPORTS.")


def test_no_import_cycles():
    _check("no import cycle between modules", import_cycles(project()),
           "Break each cycle: move the shared piece down, or turn one dependency around.")


def test_packages_import_only_what_the_layering_allows():
    _check("package layering (ALLOWED_IMPORTS)", layer_violations(project(), ALLOWED_IMPORTS),
           "Move the code, or change ALLOWED_IMPORTS with the reason.")


def test_no_private_name_crosses_a_package_boundary():
    _check("no private name imported across packages", private_imports(project()),
           "Make the name public, or move the caller.")


def test_long_modules_say_why():
    _check(f"no module over {MAX_LINES} lines without a reason", long_modules(project()),
           f"Split the module, or say 'Longer than {MAX_LINES} lines because <reason>.' in its docstring.")


def test_dag_files_are_thin_wiring():
    _check("DAG files import only mentorflow.orchestration", dag_file_imports(project()),
           "Move the logic into mentorflow.orchestration.")


def test_function_level_imports_of_our_code_have_a_reason():
    _check("function-level imports of mentorflow need a reason",
           unexplained_lazy_imports(project(), LAZY_IMPORT_MODULES),
           "Import at module level, or add '# lazy: <reason>' on the import line "
           "(or list the module in LAZY_IMPORT_MODULES).")


# --------------------------------------------------------------------------------------------
# The checks themselves, on a small tree with one planted violation of each rule.
# --------------------------------------------------------------------------------------------
_PLANTED = {
    "plugins/mentorflow/__init__.py": '"""Root."""\n',
    "plugins/mentorflow/errors.py": "from mentorflow.store import Store\n",
    "plugins/mentorflow/store/__init__.py": (
        "from typing import TYPE_CHECKING\n"
        "from mentorflow import errors\n"
        "from .tables import Store\n"
        "if TYPE_CHECKING:\n"
        "    from mentorflow.roster import rules\n"),
    "plugins/mentorflow/store/tables.py": "class Store: ...\n_engine = None\n",
    "plugins/mentorflow/roster/__init__.py": "",
    "plugins/mentorflow/roster/rules.py": (
        "from mentorflow.store.tables import _engine\n"
        "from mentorflow.store import tables as t\n"
        "print(t._engine, t.__name__)\n"
        "def check():\n"
        "    from mentorflow.store import Store\n"
        "    from mentorflow.errors import Boom  # lazy: only on failure\n"
        "    from mentorflow.errors import Bang  # lazy:\n"),
    "plugins/mentorflow/roster/big.py": '"""Big."""\n' + "x = 1\n" * MAX_LINES,
    "plugins/mentorflow/roster/big_ok.py": (
        f'"""Big. Longer than {MAX_LINES} lines because it is a table."""\n' + "x = 1\n" * MAX_LINES),
    "dags/wiring.py": ("from mentorflow.orchestration.dags import build_all\n"
                       "from mentorflow.store import Store\n"),
}


def test_the_checks_catch_planted_violations(tmp_path):
    for rel, text in _PLANTED.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    proj = load_project(tmp_path)
    table = {"mentorflow": frozenset(), "errors": frozenset(), "store": frozenset({"errors"}),
             "roster": frozenset({"errors", "store"})}

    [cycle] = import_cycles(proj)
    assert cycle.startswith("import cycle mentorflow.errors -> mentorflow.store -> mentorflow.errors")
    assert "plugins/mentorflow/errors.py:1: from mentorflow.store import Store" in cycle
    assert "mentorflow.roster.rules, mentorflow.store" in cycle  # through the TYPE_CHECKING import too

    assert layer_violations(proj, table) == [
        "plugins/mentorflow/errors.py:1: from mentorflow.store import Store  [errors may not import store]",
        "plugins/mentorflow/store/__init__.py:5: from mentorflow.roster import rules  [store may not import roster]",
    ]
    assert private_imports(proj) == [
        "plugins/mentorflow/roster/rules.py:1: from mentorflow.store.tables import _engine  [private _engine of store]",
        "plugins/mentorflow/roster/rules.py:3: t._engine  [private _engine of mentorflow.store.tables, package store]",
    ]
    [long] = long_modules(proj)
    assert long.startswith(f"plugins/mentorflow/roster/big.py:1: {MAX_LINES + 1} lines (max {MAX_LINES})")
    [dag] = dag_file_imports(proj)
    assert dag.startswith("dags/wiring.py:2: from mentorflow.store import Store  [a DAG file imports only")
    assert unexplained_lazy_imports(proj, {}) == [
        "plugins/mentorflow/roster/rules.py:5: from mentorflow.store import Store  [in check()]",
        "plugins/mentorflow/roster/rules.py:7: from mentorflow.errors import Bang  [in check()]"]
    assert unexplained_lazy_imports(proj, {"mentorflow.roster.*": "test"}) == []
