"""The matching run behind :func:`mentorflow.matching.propose`:

1. :mod:`~mentorflow.matching.scoring` scores pairs block by block and keeps each mentee's best
   ``top_k`` allowed partners (hard rules are masks, never penalties);
2. :mod:`~mentorflow.matching.solver` solves over those candidates: exactly on the sparse candidate graph
   when the round is the plain assignment (past ``SPARSE_MAX_PAIRS``: the same LP from arrays by HiGHS), else
   the PuLP model (locks, fairness, several mentors, symbiotic);
3. mentees left without a partner while an allowed mentor still has room are placed (:mod:`.fill`; this only
   adds score), and :mod:`~mentorflow.matching.certificate` bounds what pruning could have cost;
4. :mod:`~mentorflow.matching.explain` says why each pair was made and why anyone was not.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from mentorflow.matching import affinity, certificate, explain, scoring, several, sparse_exact
from mentorflow.matching import fill as placing
from mentorflow.matching.inputs import (COMPONENTS, DEFAULT_TOP_K, SPARSE_MAX_PAIRS, SPARSE_TOP_K, MatchInput,
                                        MatchResult)
from mentorflow.matching.prepare import prepare
from mentorflow.matching.solver import MatchingProblem, solve


def _rule(rules, name: str, default):
    return getattr(rules, name, default)


def propose(inp: MatchInput, *, progress: Callable[[str], None] | None = None,
            certify: bool | None = None) -> MatchResult:
    """Propose pairs honouring every hard rule, with reasons; see the module docstring. ``certify``:
    True or False force the pruning certificate on or off; None follows ``rules.certify``."""
    say = progress or (lambda _: None)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    prep = prepare(inp)
    pop, relations, rows, cols, capacity = prep.pop, prep.relations, prep.rows, prep.cols, prep.capacity
    common = prep.common
    rules, kind, weights, symmetric, per_mentee = inp.rules, prep.kind, prep.weights, prep.symmetric, prep.per_mentee
    timings["prepare"] = time.perf_counter() - started

    started = time.perf_counter()
    fairness = str(_rule(rules, "fairness", "none"))
    plain = not sparse_exact.needs_model(symmetric=symmetric, fairness=fairness, locks=len(inp.locked_pairs),
                                         several=per_mentee > 1)
    asked_k = _rule(rules, "top_k", None)
    # the sparse exact solve grows faster than linearly with the candidate pairs: past SPARSE_MAX_PAIRS the same LP
    # from arrays by HiGHS on DEFAULT_TOP_K candidates is the faster path (docs/performance.md, target 4)
    sparse = plain and len(rows) * int(asked_k or SPARSE_TOP_K) <= SPARSE_MAX_PAIRS
    k = int(asked_k or (SPARSE_TOP_K if sparse else DEFAULT_TOP_K))
    say(f"scoring {len(rows):,} × {len(cols):,} candidate pairs (keeping the best {k} per person) …")
    cand = scoring.top_candidates(pop, relations, rows, cols, k=k, **common,
                                  progress=lambda done, total: say(f"  scored {done:,}/{total:,}"))
    timings["score"] = time.perf_counter() - started

    edges_r, edges_c, edges_s, edges_p = cand.rows, cand.cols, cand.score, cand.parts
    if symmetric:  # rows and columns are the same people: one edge per unordered pair
        a = rows[edges_r]
        b = cols[edges_c]
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        _, first = np.unique(lo * len(pop.ids) + hi, return_index=True)
        pos = np.full(len(pop.ids), -1)
        pos[rows] = np.arange(len(rows))
        edges_r, edges_c = pos[lo[first]], pos[hi[first]]
        edges_s, edges_p = edges_s[first], edges_p[first]

    notes: list[str] = []
    locked, extra = _locks(inp, pop, relations, rows, cols, capacity, edges_r, edges_c, common, notes, per_mentee)
    if extra:
        edges_r = np.concatenate([edges_r, [e[0] for e in extra]]).astype(np.int64)
        edges_c = np.concatenate([edges_c, [e[1] for e in extra]]).astype(np.int64)
        edges_s = np.concatenate([edges_s, [e[2] for e in extra]]).astype(np.float32)
        edges_p = np.vstack([edges_p, np.array([e[3] for e in extra], dtype=np.float32)])

    problem = MatchingProblem(rows=edges_r, cols=edges_c, score=edges_s.astype(np.float64), n_rows=len(rows),
                              n_cols=len(cols), col_capacity=capacity, locked=np.array(locked, dtype=np.int64),
                              symmetric=symmetric, **_several_mentors(pop, rows, cols, edges_r, edges_c, per_mentee))
    say(f"solving the model: {len(edges_s):,} candidate pairs, fairness {fairness} …")
    started = time.perf_counter()
    solution = solve(problem, fairness=fairness, method="auto" if sparse else "highs" if plain else "pulp")
    timings["solve"] = time.perf_counter() - started
    timings.update({f"solve_{k_}": v for k_, v in solution.seconds.items()})
    lp_objective = solution.objective

    chosen = np.flatnonzero(solution.chosen)
    pair_r, pair_c = list(edges_r[chosen]), list(edges_c[chosen])
    pair_s, pair_p = list(edges_s[chosen]), list(edges_p[chosen])
    pair_locked = [e in set(locked) for e in chosen.tolist()]

    # fill: a mentee the pruned model left out takes any allowed mentor who still has room
    started = time.perf_counter()
    used = np.bincount(np.asarray(pair_c, dtype=np.int64), minlength=len(cols)) if pair_c else np.zeros(len(cols), int)
    matched_rows = set(pair_r) | (set(pair_c) if symmetric else set())
    residual = capacity - used
    left = np.array([i for i in range(len(rows)) if i not in matched_rows], dtype=np.int64)
    fill = placing.fill_symmetric if symmetric else placing.fill
    added, reasons, timings["explain_unmatched_rows"] = fill(
        pop, relations, rows, cols, left, residual, matched_rows, cand.allowed, common, kind, rules)
    for row, col, score, parts in added:
        pair_r.append(row), pair_c.append(col), pair_s.append(score), pair_p.append(parts)
        pair_locked.append(False)
    filled = len(added)
    timings["fill"] = time.perf_counter() - started - timings["explain_unmatched_rows"]
    stats = {"participants": len(pop.ids), "rows": len(rows), "cols": len(cols), "candidates": len(edges_s),
             "top_k": k, "components": solution.components, "status": solution.status, "solver": solution.method,
             "lp_objective": round(lp_objective, 6), "filled_after_solve": filled}
    why_not = certificate.wanted(_rule(rules, "certify", "auto") if certify is None else certify, len(rows), len(cols))
    if why_not:
        cert = certificate.not_computed(fairness, why_not)
    else:
        say("certifying what pruning could have cost (LP duals, one more pass over every pair) …")
        cert = certificate.certify(problem, (np.asarray(pair_r, np.int64), np.asarray(pair_c, np.int64),
                                             np.asarray(pair_s, np.float64), np.asarray(pair_locked, bool)),
                                   fairness=fairness, pruned=k < len(cols), blocks=lambda: (
            (b.start, b.total) for b in scoring.scored_blocks(pop, relations, rows, cols, **common)))
        timings["certify"] = cert.seconds
    stats["certificate"] = cert.as_dict()

    started = time.perf_counter()
    w = scoring.weight_vector(weights)
    records = []
    mentees, mentors = rows[np.asarray(pair_r, np.int64)], cols[np.asarray(pair_c, np.int64)]
    values = np.array(pair_p).reshape(len(pair_p), len(COMPONENTS))
    explained = explain.reasons_of_pairs(pop, mentees, mentors, values, w, kind)
    for mentee, mentor, s, p, is_lock, why in zip(mentees.tolist(), mentors.tolist(), pair_s, values.tolist(),
                                                  pair_locked, explained):
        if is_lock:
            why = ["locked by the matching committee", *why][: explain.MAX_REASONS]
        records.append({"mentor_id": pop.ids[mentor], "mentee_id": pop.ids[mentee], "score": round(float(s), 4),
                        "explanation": "; ".join(why) or "best available partner",
                        **{name: round(v, 4) for name, v in zip(COMPONENTS, p)}})
    pairs = pd.DataFrame(records, columns=["mentor_id", "mentee_id", "score", "explanation", *COMPONENTS])
    if per_mentee > 1:
        pairs = several.explain_own_skills(pairs, pop, explain.MAX_REASONS)
    timings["pair_reasons"] = time.perf_counter() - started
    started = time.perf_counter()
    unmatched = _unmatched(pop, rows, cols, reasons, pairs, inp, relations, symmetric, common)
    timings["unmatched_reasons"] = time.perf_counter() - started
    stats["objective"] = round(float(pairs["score"].sum()), 6) if len(pairs) else 0.0
    stats["seconds"] = {k_: round(v, 3) for k_, v in timings.items()}
    return MatchResult(pairs=pairs, unmatched=unmatched, notes=notes, stats=stats)


def _several_mentors(pop, rows, cols, edges_r, edges_c, per_mentee: int) -> dict:
    """The solver's inputs for several mentors per mentee (none when each mentee has one)."""
    if per_mentee == 1:
        return {}
    return {"row_capacity": np.full(len(rows), per_mentee, dtype=np.int64),
            "edge_covers": several.edge_covers(pop.wanted, pop.offered, rows[edges_r], cols[edges_c])}


def _locks(inp, pop, relations, rows, cols, capacity, edges_r, edges_c, common, notes, per_mentee=1):
    """Edge indices of honoured committee locks (adding the pair if pruning dropped it); the rest
    become notes naming the rule they would break. With several mentors per mentee, up to that many
    locks per mentee, each mentor covering a wanted skill the mentee's other locked mentors do not."""
    if not inp.locked_pairs:  # the lookups below cost a dictionary of every candidate pair
        return [], []
    row_pos = {int(p): i for i, p in enumerate(rows)}
    col_pos = {int(p): i for i, p in enumerate(cols)}
    existing = {(int(r), int(c)): e for e, (r, c) in enumerate(zip(edges_r, edges_c))}
    locked, extra, taken, load = [], [], set(), {}
    held: dict[int, list[set[int]]] = {}  # mentee row -> skills covered by each of its locked mentors
    index = pop.index
    for mentor, mentee in inp.locked_pairs:
        label = f"lock {mentor}:{mentee}"
        if mentor not in index or mentee not in index:
            notes.append(f"{label} not applied: {mentor if mentor not in index else mentee} has no valid application")
            continue
        a, b = index[mentee], index[mentor]
        if inp.program_type == "symbiotic":
            a, b = min(a, b), max(a, b)
        if a not in row_pos or b not in col_pos:
            notes.append(f"{label} not applied: not a mentee and a mentor with free capacity in this round")
            continue
        r, c = row_pos[a], col_pos[b]
        if r in taken or (inp.program_type == "symbiotic" and (c in taken or r == c)):
            notes.append(f"{label} not applied: the person is already in another locked pair")
            continue
        if load.get(c, 0) >= capacity[c]:
            notes.append(f"{label} not applied: the mentor's capacity is used by other locks")
            continue
        block = next(scoring.scored_blocks(pop, relations, np.array([a]), np.array([b]), **common))
        rule = block.rules
        broken = [what for what, mask in (("self pair, PIP or wrong role", rule.basic), ("level rule", rule.level),
                                          ("reporting line, avoid list, former pair or forbid", rule.relation),
                                          ("skills rule of the program type", rule.teaches),
                                          (f"cohort's placement rules (no pair {rule.placement_words})", rule.placement),
                                          (affinity.LOCK_RULE, rule.affinity))
                  if mask is not None and not mask[0, 0]]
        if broken:
            notes.append(f"{label} not applied: it breaks the {broken[0]}")
            continue
        if per_mentee > 1:
            mine = set(np.flatnonzero((pop.wanted[a] > 0) & (pop.offered[b] > 0)).tolist())
            if not several.each_adds_a_skill([*held.get(r, []), mine]):
                notes.append(f"{label} not applied: with the mentee's other locked mentors, not every mentor would "
                             "cover a wanted skill the others do not (each mentor must add a skill)")
                continue
            held.setdefault(r, []).append(mine)
            if len(held[r]) >= per_mentee:
                taken.add(r)
        else:
            taken |= {r, c} if inp.program_type == "symbiotic" else {r}
        load[c] = load.get(c, 0) + 1
        if (r, c) in existing:
            locked.append(existing[(r, c)])
        else:
            raw = float(sum(w * block.parts[n][0, 0] for w, n in zip(scoring.weight_vector(common["weights"]), COMPONENTS)))
            locked.append(len(edges_r) + len(extra))
            extra.append((r, c, raw, [float(block.parts[n][0, 0]) for n in COMPONENTS]))
    return locked, extra


def _unmatched(pop, rows, cols, reasons, pairs, inp, relations, symmetric, common) -> pd.DataFrame:
    """Every participant without a partner in this round, with the binding reason."""
    in_pairs = set(pairs["mentor_id"]) | set(pairs["mentee_id"])
    fixed = {p for pair in inp.fixed_pairs for p in pair}
    # a 'both' applicant placed only as a mentor still needs a reason as a mentee
    placed = in_pairs if symmetric else set(pairs["mentee_id"])
    seeking = pop.seeks if pop.seeks is not None else np.ones(len(pop.ids), dtype=bool)
    out = [(pop.ids[rows[r]], "mentee" if not symmetric else "partner", why) for r, why in sorted(reasons.items())
           if pop.ids[rows[r]] not in placed and seeking[rows[r]]]
    if not symmetric:
        listed = {e for e, _, _ in out}
        idle = [i for i, c in enumerate(cols) if pop.ids[c] not in in_pairs and pop.ids[c] not in fixed
                and pop.ids[c] not in listed]
        if idle:
            fitting = np.zeros(len(idle), dtype=np.int64)  # level and relationship rules only
            allowed = np.zeros(len(idle), dtype=np.int64)
            teaching = np.zeros(len(idle), dtype=np.int64)
            kept_out = np.zeros(len(idle), dtype=bool)  # fits someone but for the hard affinity rule
            for block in scoring.scored_blocks(pop, relations, rows, cols[idle], **common):
                fits = block.rules.basic & block.rules.level & block.rules.relation
                if block.rules.placement is not None:
                    fits = fits & block.rules.placement
                ok = fits & block.rules.teaches
                if block.rules.affinity is not None:
                    kept_out |= ok.any(axis=0)  # allowed by every other rule
                    ok = ok & block.rules.affinity
                fitting += fits.sum(axis=0)
                allowed += ok.sum(axis=0)
                teaching += (ok & (scoring.skill_overlap(pop, block.people, cols[idle]) > 0)).sum(axis=0)
            # fits someone but for the hard affinity rule: the neutral wording (the preference stays private);
            # a mentor the skills rule alone left idle (reverse, several mentors) is told it is the skills
            out += [(pop.ids[cols[i]], "mentor", affinity.COMMITTEE_UNMATCHED if k and not a
                     else explain.idle_mentor_reason(int(a or f), int(t)))
                    for i, f, a, t, k in zip(idle, fitting, allowed, teaching, kept_out)]
    return pd.DataFrame(out, columns=["employee_id", "role", "reason"])
