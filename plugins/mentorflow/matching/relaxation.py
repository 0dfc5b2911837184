"""The certificate's LP relaxations, written for CBC without building a PuLP model.

:func:`mentorflow.matching.solver.solve_relaxation` builds the model of :func:`~mentorflow.matching.solver.build_model`
out of PuLP objects, which PuLP then writes as an MPS file for CBC: on a what-if of 600 people that Python work is
about three quarters of the certificate's time (docs/performance.md, target 3). For the bipartite model (not
symmetric, no own-skill constraints: every relaxation the certificate solves for a traditional, reverse or group
cohort) :func:`write_mps` writes the very file PuLP writes (same names, order and numbers; ``tests/test_certificate.py``
compares the bytes) and :func:`solve_relaxation` runs the same CBC with the same options on it, so CBC returns the
same duals. Any other model goes through PuLP as before.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pulp

from mentorflow.matching.solver import MatchingProblem, Relaxation
from mentorflow.matching.solver import solve_relaxation as solve_with_pulp


def applies(p: MatchingProblem, edges: np.ndarray) -> bool:
    """The model :func:`write_mps` writes: bipartite, without own-skill constraints, one variable per pair."""
    if p.symmetric or p.edge_covers is not None or len(edges) == 0:
        return False
    keys = p.rows[edges].astype(np.int64) * (p.n_cols + 1) + p.cols[edges]
    return len(np.unique(keys)) == len(keys)  # PuLP refuses two variables of one name


def _layout(p: MatchingProblem, edges: np.ndarray, min_matched: int | None):
    """PuLP's order: variables sorted by name (``x_<row>_<col>``); constraints as build_model adds them
    (mentees by row, mentors by column, locks in edge order, then cover_at_least). Returns the edge position of
    each variable, each edge's constraint indices and the constraints' senses and right-hand sides."""
    r, c = p.rows[edges], p.cols[edges]
    names = [f"x_{i}_{j}" for i, j in zip(r.tolist(), c.tolist())]
    order = np.array(sorted(range(len(names)), key=names.__getitem__), dtype=np.int64)
    rows, cols = np.unique(r), np.unique(c)
    row_bound = (np.ones(len(rows), dtype=np.int64) if p.row_capacity is None
                 else np.asarray(p.row_capacity)[rows].astype(np.int64))
    senses = ["L"] * (len(rows) + len(cols))
    rhs = [*row_bound.tolist(), *np.asarray(p.col_capacity)[cols].astype(np.int64).tolist()]
    per_edge = [np.searchsorted(rows, r), len(rows) + np.searchsorted(cols, c)]
    lock = np.full(len(edges), -1, dtype=np.int64)
    locked_edges = np.flatnonzero(np.isin(edges, p.locked))
    lock[locked_edges] = len(senses) + np.arange(len(locked_edges))
    senses += ["E"] * len(locked_edges)
    rhs += [1] * len(locked_edges)
    cover = None
    if min_matched is not None:
        cover = len(senses)
        senses.append("G")
        rhs.append(int(min_matched))
    return order, rows, cols, per_edge, lock, cover, senses, rhs


def write_mps(path: Path, p: MatchingProblem, edges: np.ndarray, *, objective: str = "score",
              min_matched: int | None = None) -> tuple:
    """Write the relaxation as ``PuLP``'s ``writeMPS(rename=1)`` writes ``build_model(integral=False)``; returns
    the layout (:func:`_layout`) to read CBC's solution with."""
    layout = order, rows, cols, per_edge, lock, cover, senses, rhs = _layout(p, edges, min_matched)
    weights = np.ones(len(edges)) if objective == "count" else p.score[edges]
    line = "    %-8s  %-8s  % .12e\n"
    columns = []
    mentee, mentor, locks, weight = (a[order].tolist() for a in (per_edge[0], per_edge[1], lock, weights))
    for k in range(len(order)):
        name = "X%07d" % k
        columns.append(line % (name, "C%07d" % mentee[k], 1))
        columns.append(line % (name, "C%07d" % mentor[k], 1))
        if locks[k] >= 0:
            columns.append(line % (name, "C%07d" % locks[k], 1))
        if cover is not None:
            columns.append(line % (name, "C%07d" % cover, 1))
        columns.append(line % (name, "OBJ", weight[k]))
    # x ≤ 1 is written only when a mentee may take several mentors (build_model's ``unbounded``)
    bounds = ([] if p.row_capacity is None else
              [" UP BND       %-8s  % .12e\n" % ("X%07d" % k, 1) for k in range(len(order))])
    with open(path, "w") as f:
        f.write("*SENSE:Maximize\nNAME          MODEL\nROWS\n N  OBJ\n")
        f.write("".join(f" {sense}  C{i:07d}\n" for i, sense in enumerate(senses)))
        f.write("COLUMNS\n")
        f.write("".join(columns))
        f.write("RHS\n")
        f.write("".join("    RHS       %-8s  % .12e\n" % ("C%07d" % i, value) for i, value in enumerate(rhs)))
        f.write("BOUNDS\n")
        f.write("".join(bounds))
        f.write("ENDATA\n")
    return layout


def solve_relaxation(p: MatchingProblem, edges: np.ndarray, *, objective: str = "score",
                     min_matched: int | None = None, time_limit: float | None = None) -> Relaxation:
    """:func:`mentorflow.matching.solver.solve_relaxation`'s result, from the file :func:`write_mps` writes when
    the model is one it writes, else through PuLP."""
    if not applies(p, edges):
        return solve_with_pulp(p, edges, objective=objective, min_matched=min_matched, time_limit=time_limit)
    cbc = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, mip=False)
    if not cbc.available():  # as PuLP's solve_CBC says it
        raise pulp.PulpSolverError(f"Pulp: cannot execute {cbc.path} cwd: {os.getcwd()}")
    with tempfile.TemporaryDirectory(prefix="mentorflow-lp-") as tmp:
        mps, sol = Path(tmp) / "model.mps", Path(tmp) / "model.sol"
        order, rows, cols, _, _, cover, senses, _ = write_mps(mps, p, edges, objective=objective,
                                                               min_matched=min_matched)
        # the command PuLP's PULP_CBC_CMD.solve_CBC runs for an MPS file of a maximisation, options in its order
        args = [cbc.path, str(mps), "-max", *(["-sec", str(time_limit)] if time_limit is not None else [])]
        for option in cbc.options + cbc.getOptions():  # e.g. "timeMode elapsed"
            args += f"-{option}".split()
        args += ["-initialSolve", "-printingOptions", "all", "-solution", str(sol)]
        with open(os.devnull, "w") as quiet:
            if subprocess.run(args, stdout=quiet, stderr=quiet, stdin=subprocess.DEVNULL).returncode != 0:
                raise pulp.PulpSolverError(f"Pulp: Error while trying to execute {cbc.path}")
        if not sol.exists():
            raise pulp.PulpSolverError(f"Pulp: Error while executing {cbc.path}")
        status, _ = cbc.get_status(str(sol))
        values, pi = np.zeros(len(order)), np.zeros(len(senses))
        with open(sol) as f:
            for text in f:  # as PuLP's readsol_MPS reads it: index, name, value, reduced cost or dual
                if len(text) <= 2:
                    break
                words = text.split()
                if words[0] == "**":
                    words = words[1:]
                name = words[1]
                if name[0] == "X" and name[1:].isdigit():
                    values[int(name[1:])] = float(words[2])
                elif name[0] == "C" and name[1:].isdigit():
                    pi[int(name[1:])] = float(words[3])
    x = np.zeros(len(edges))
    x[order] = values
    weights = np.ones(len(edges)) if objective == "count" else p.score[edges]
    row_dual, col_dual = np.zeros(p.n_rows), np.zeros(p.n_cols)
    row_dual[rows] = np.maximum(pi[:len(rows)], 0.0)
    col_dual[cols] = np.maximum(pi[len(rows):len(rows) + len(cols)], 0.0)
    return Relaxation(status=pulp.LpStatus[status], value=float(weights @ x), row_dual=row_dual, col_dual=col_dual,
                      cover_dual=max(-pi[cover], 0.0) if cover is not None else 0.0)
