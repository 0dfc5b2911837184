"""Matching at scale: the engine against the exact optimum and against a naive dense PuLP model.

    python benchmarks/bench_matching.py [--mentees 10000] [--mentors 5000] [--top-k K] [--naive-limit 60]
                                        [--skip-naive] [--certify] [--paths]

1. A synthetic traditional cohort (mentors are the most senior people, capacity 2, every hard
   rule on: levels, reporting lines, avoid lists, PIP) goes through ``matching.propose`` end to
   end (scoring, model, solve, fill, explanations, unmatched reasons; the pruning certificate only
   with ``--certify``). Prints wall time and peak memory (this process and the CBC child process).
   ``--paths`` also solves the same candidates by each solver path (the sparse exact assignment, the
   PuLP model with CBC, and with HiGHS when highspy is installed) and prints their times and objectives.
2. The exact optimum of the same instance: its unconstrained twin (forbidden pairs score 0, so
   pairing them is worth the same as not pairing) solved by ``scipy.optimize.linear_sum_assignment``
   on the capacity-expanded matrix (scoring every pair included). Prints the engine's objective as a
   fraction of it and the engine's time as a ratio of the exact method's, both measured in this run.
3. The naive model: one PuLP variable per allowed pair, built with ``+=`` in Python loops, on
   growing instances until one takes longer than ``--naive-limit`` seconds; prints the figures of
   the largest that finished in time, next to the engine on that same instance.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from mentorflow.cohorts.config import MatchingRules, Weights  # noqa: E402
from mentorflow.contract.parsing import parse_ids  # noqa: E402
from mentorflow.demo.synthetic import _skill_list, generate_applications, generate_roster  # noqa: E402
from mentorflow.matching import MatchInput, propose, scoring  # noqa: E402

CAPACITY = 2


def instance(mentees: int, mentors: int, seed: int = 5, top_k: int | None = None) -> MatchInput:
    """``mentees`` + ``mentors`` people; the most senior become mentors (capacity 2)."""
    roster = generate_roster(mentees + mentors, seed)
    roster["on_pip"] = roster["on_pip"].eq("true")
    apps = generate_applications(roster, seed, apply_rate=1.0, incomplete_rate=0.0)
    apps = apps.set_index("employee_id").loc[roster["employee_id"]].reset_index()
    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.random(len(roster)), -roster["level"].to_numpy()))
    is_mentor = np.zeros(len(roster), dtype=bool)
    is_mentor[order[:mentors]] = True
    apps["role"] = np.where(is_mentor, "mentor", "mentee")
    apps["capacity"] = np.where(is_mentor, CAPACITY, None)
    apps.loc[is_mentor, "skills_offered"] = [_skill_list(rng, int(rng.integers(2, 6)), 3, 5) for _ in range(mentors)]
    apps.loc[~is_mentor, "skills_wanted"] = [_skill_list(rng, int(rng.integers(1, 4)), 1, 4)
                                             for _ in range(mentees)]
    apps.loc[is_mentor, "skills_wanted"] = ""
    apps.loc[~is_mentor, "skills_offered"] = ""
    apps.loc[~is_mentor, "preferred_partners"] = [
        ";".join(rng.choice(apps.loc[is_mentor, "employee_id"].to_numpy(), int(rng.integers(0, 3)), replace=False))
        for _ in range(mentees)]
    rules = MatchingRules(max_mentees_per_mentor=CAPACITY, **({} if top_k is None else {"top_k": top_k}))
    return MatchInput("traditional", rules, roster, apps, weights=Weights())


def full_matrix(inp: MatchInput) -> tuple[np.ndarray, np.ndarray]:
    """Every (mentee, mentor) score with forbidden pairs at -inf, and the mentors' capacities."""
    pop = scoring.build_population(inp.people, inp.applications, inp.program_type, inp.rules)
    avoid = {e: parse_ids(a) for e, a in zip(inp.applications["employee_id"], inp.applications["avoid_partners"])}
    relations = scoring.relation_pairs(pop, avoid, inp.people, forbid_reporting_line=True, previous=set(), forbidden=set())
    rows, cols = np.flatnonzero(pop.is_mentee), np.flatnonzero(pop.is_mentor)
    matrix = np.empty((len(rows), len(cols)), dtype=np.float32)
    for b in scoring.scored_blocks(pop, relations, rows, cols, program_type=inp.program_type, rules=inp.rules,
                                   weights=inp.weights):
        matrix[b.start:b.start + len(b.people)] = b.total
    return matrix, pop.capacity[cols]


def exact_optimum(matrix: np.ndarray, capacity: np.ndarray) -> float:
    from scipy.optimize import linear_sum_assignment

    twin = np.repeat(np.where(np.isfinite(matrix), matrix, 0.0).astype(np.float64), capacity, axis=1)
    r, c = linear_sum_assignment(twin, maximize=True)
    return float(twin[r, c].sum())


def naive_dense(matrix: np.ndarray, capacity: np.ndarray) -> float:
    """The textbook model: a variable per allowed pair, constraints summed in Python loops."""
    import pulp

    prob = pulp.LpProblem("naive", pulp.LpMaximize)
    allowed = np.isfinite(matrix)
    x = {(i, j): pulp.LpVariable(f"x_{i}_{j}", cat="Binary") for i, j in zip(*np.nonzero(allowed))}
    prob += pulp.lpSum(float(matrix[i, j]) * v for (i, j), v in x.items())
    for i in range(matrix.shape[0]):
        prob += pulp.lpSum(x[i, j] for j in range(matrix.shape[1]) if allowed[i, j]) <= 1
    for j in range(matrix.shape[1]):
        prob += pulp.lpSum(x[i, j] for i in range(matrix.shape[0]) if allowed[i, j]) <= int(capacity[j])
    prob.solve(pulp.PULP_CBC_CMD(msg=False))
    return float(sum(matrix[i, j] for (i, j), v in x.items() if (v.varValue or 0) > 0.5))


def _naive_child(mentees: int, mentors: int, queue) -> None:
    matrix, capacity = full_matrix(instance(mentees, mentors))
    _reset_peak()
    started = time.perf_counter()
    objective = naive_dense(matrix, capacity)
    queue.put((time.perf_counter() - started, objective, _peak_mb(), exact_optimum(matrix, capacity)))


def _reset_peak() -> None:
    """Linux: restart this process's peak-RSS counter (VmHWM), so a figure covers one phase only."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (CBC): wall time on a shared machine
    counts other people's work too, CPU time does not."""
    own, child = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + child.ru_utime + child.ru_stime


def solver_paths(inp: MatchInput) -> None:
    """The engine's candidates solved by each path, with the time of each against the sparse exact one."""
    import pulp
    from mentorflow.matching.prepare import prepare
    from mentorflow.matching.solver import MatchingProblem, solve

    prep = prepare(inp)
    cand = scoring.top_candidates(prep.pop, prep.relations, prep.rows, prep.cols, k=int(inp.rules.top_k), **prep.common)
    problem = MatchingProblem(rows=cand.rows.astype(np.int64), cols=cand.cols.astype(np.int64),
                              score=cand.score.astype(np.float64), n_rows=len(prep.rows), n_cols=len(prep.cols),
                              col_capacity=prep.capacity)
    print(f"    solver paths on the same {len(cand.score):,} candidate pairs:")
    paths = [("sparse exact (min_weight_full_bipartite_matching)", {"method": "sparse"}),
             ("the LP from arrays + HiGHS dual simplex (scipy)", {"method": "highs"}),
             ("PuLP model + CBC", {"method": "pulp", "backend": "cbc"})]
    if pulp.HiGHS().available():
        paths.append(("PuLP model + HiGHS", {"method": "pulp", "backend": "highs"}))
    base = None
    for name, kw in paths:
        started, cpu = time.perf_counter(), _cpu_seconds()
        sol = solve(problem, **kw)
        wall, used = time.perf_counter() - started, _cpu_seconds() - cpu
        base = base or (wall, sol.objective)
        print(f"      {name}: {wall:.1f} s wall ({used:.1f} s CPU), ×{wall / base[0]:.1f} the sparse path, "
              f"objective {sol.objective:.6f} ({sol.objective - base[1]:+.2e} vs sparse), status {sol.status}")
    if not pulp.HiGHS().available():
        print("      PuLP model + HiGHS: highspy is not installed, not measured")


def engine_run(inp: MatchInput, certify: bool = False) -> tuple[float, dict, float]:
    _reset_peak()
    started, cpu = time.perf_counter(), _cpu_seconds()
    result = propose(inp, progress=lambda m: print("   ", m, flush=True) if not m.startswith("  scored") else None,
                     certify=certify)
    result.stats["cpu_seconds"] = round(_cpu_seconds() - cpu, 1)
    return time.perf_counter() - started, result.stats, float(result.pairs["score"].sum())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mentees", type=int, default=10_000)
    ap.add_argument("--mentors", type=int, default=5_000)
    ap.add_argument("--naive-limit", type=float, default=60.0)
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--certify", action="store_true", help="also certify what pruning cost (and compare with the optimum)")
    ap.add_argument("--top-k", type=int, help="candidate partners kept per mentee (default: the rules' top_k)")
    ap.add_argument("--paths", action="store_true", help="also time each solver path on the same candidates")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores; CBC bundled with PuLP")

    print(f"\n[1] engine: {args.mentees:,} mentees × {args.mentors:,} mentors (capacity {CAPACITY}), all hard rules")
    inp = instance(args.mentees, args.mentors, top_k=args.top_k)
    seconds, stats, objective = engine_run(inp, args.certify)
    peak = _peak_mb()
    print(f"    wall time {seconds:.1f} s, CPU time {stats['cpu_seconds']:.1f} s (this process + CBC; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"    phases (wall s): {stats['seconds']}")
    print(f"    peak memory of this process during the run: {peak:.0f} MB (CBC runs as a separate process, not counted)")
    print(f"    candidates {stats['candidates']:,} (top {stats['top_k']}), components {stats['components']}, "
          f"solver {stats.get('solver', 'pulp')}, status {stats['status']}, solver objective "
          f"{stats['lp_objective']:.4f}, {stats['filled_after_solve']} mentees placed by the fill step")
    if args.paths:
        solver_paths(inp)

    print("\n[2] exact optimum: linear_sum_assignment on the capacity-expanded unconstrained twin")
    started, cpu = time.perf_counter(), _cpu_seconds()
    matrix, capacity = full_matrix(inp)
    optimum = exact_optimum(matrix, capacity)
    exact_s, exact_cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    print(f"    optimum {optimum:.4f} in {exact_s:.1f} s wall, {exact_cpu:.1f} s CPU (scoring every pair and "
          f"linear_sum_assignment)")
    print(f"    engine: {seconds / exact_s:.3f}× the exact method's wall time, {stats['cpu_seconds'] / exact_cpu:.3f}× "
          f"its CPU time; objective {objective:.4f} = {100 * objective / optimum:.4f}% of the optimum")
    if args.certify:
        cert = stats["certificate"]
        print(f"    certificate ({cert['seconds']:.1f} s): {cert['text']}; the optimum shows a loss of "
              f"{optimum - objective:.4f}")
    del matrix

    if not args.skip_naive:
        print(f"\n[3] naive dense PuLP model, growing until one takes over {args.naive_limit:.0f} s")
        best = None
        for mentees in (200, 400, 600, 800, 1000, 1200, 1600, 2000):
            queue = mp.get_context("spawn").Queue()
            child_proc = mp.get_context("spawn").Process(target=_naive_child, args=(mentees, mentees // 2, queue))
            child_proc.start()
            child_proc.join(args.naive_limit + 120)  # the instance and its exact optimum take time too
            if child_proc.is_alive():
                child_proc.kill()
                print(f"    {mentees:,} × {mentees // 2:,}: did not finish; stopping")
                break
            naive_s, naive_obj, n_peak, n_opt = queue.get()
            print(f"    {mentees:,} × {mentees // 2:,}: {naive_s:.1f} s, objective {naive_obj:.4f} "
                  f"= {100 * naive_obj / n_opt:.4f}% of the optimum, peak memory {n_peak:.0f} MB")
            if naive_s > args.naive_limit:
                break
            best = (mentees, naive_s, naive_obj, n_opt)
        if best:
            mentees, naive_s, naive_obj, n_opt = best
            eng_s, eng_stats, eng_obj = engine_run(instance(mentees, mentees // 2))
            print(f"    largest naive size within {args.naive_limit:.0f} s: {mentees:,} × {mentees // 2:,}: naive "
                  f"{naive_s:.1f} s vs engine {eng_s:.1f} s wall, {eng_stats['cpu_seconds']:.1f} s CPU "
                  f"(×{naive_s / eng_s:.0f} faster); engine objective {100 * eng_obj / n_opt:.4f}% of the optimum")
    return 0


if __name__ == "__main__":
    sys.exit(main())
