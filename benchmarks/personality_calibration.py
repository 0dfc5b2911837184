"""How often the personality wording is said, before and after the per-trait calibration.

    python benchmarks/personality_calibration.py [--people 3000] [--seed 11] [--pairs 200000] [--proposed 600]

On a generated population of each program type (demo.synthetic, every applicant), draws random pairs of
two different applicants and prints the share said to have "similar" / "complementary" personalities:

- before: the release-0.1 rule, ``1 - distance / max distance`` over the five traits (``distance`` for
  ``complement``), said from 0.6 (the old threshold in matching/explain.py);
- after: matching.personality, said from a calibrated trait fit of ``SAID_AT`` (0.75), with the program
  type's default per-trait modes (reverse: complement on openness and extraversion), and with
  ``personality: complement`` for all traits.

With ``--proposed N`` it also matches a generated traditional and reverse cohort of N people and prints the
share of proposed pairs whose explanation carries the personality wording (the solver prefers good fits,
so this is above a quarter).

tests/test_personality.py checks the "after" shares through the explainer (15-35%).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from mentorflow.cohorts.config import MatchingRules  # noqa: E402
from mentorflow.demo.synthetic import generate_applications, generate_roster  # noqa: E402
from mentorflow.matching import MatchInput, personality, propose, scoring  # noqa: E402

OLD_THRESHOLD = 0.6
OLD_MAX_DISTANCE = 6.0 * np.sqrt(5)


def shares(kind: str, setting, people: int, seed: int, pairs: int) -> dict[str, float]:
    roster = generate_roster(people, seed)
    roster["on_pip"] = roster["on_pip"].eq("true")
    apps = generate_applications(roster, seed, program_type=kind, apply_rate=1.0, incomplete_rate=0.0)
    pop = scoring.build_population(roster, apps, kind, MatchingRules(personality=setting))
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, len(pop.ids), (2, pairs))
    a, b = a[a != b], b[a != b]
    distance = np.linalg.norm(pop.big5[a] - pop.big5[b], axis=1) / OLD_MAX_DISTANCE
    old_value = distance if setting == "complement" else 1 - distance
    fit = personality.pair_fit(pop.traits, a, b)
    counted = {m for m in pop.traits.modes if m != "ignore"}
    word = "similar" if counted == {"similar"} else "complementary" if counted == {"complement"} else "mixed"
    return {"pairs": len(a), "before": float((old_value >= OLD_THRESHOLD).mean()),
            "before_word": "complementary" if setting == "complement" else "similar",
            "after": float((fit >= personality.SAID_AT).mean()), "after_word": word, "modes": pop.traits.modes}


WORDING = ("similar personalities", "complementary personalities", "personalities fit as the program asks")


def proposed_share(kind: str, people: int, seed: int) -> tuple[int, float]:
    roster = generate_roster(people, seed)
    roster["on_pip"] = roster["on_pip"].eq("true")
    apps = generate_applications(roster, seed, program_type=kind)
    pairs = propose(MatchInput(kind, MatchingRules(), roster, apps)).pairs
    said = pairs["explanation"].map(lambda text: any(w in text for w in WORDING))
    return len(pairs), float(said.mean()) if len(pairs) else 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--pairs", type=int, default=200_000)
    ap.add_argument("--proposed", type=int, default=0, help="also match a generated cohort of this many people")
    args = ap.parse_args()
    print(f"generated population: {args.people} people, seed {args.seed}, random pairs of two applicants")
    print("| program type, setting | before: said | after: said | after: modes (E, A, C, S, O) |")
    print("|---|---|---|---|")
    for kind, setting in (("traditional", None), ("reverse", None), ("symbiotic", None), ("group", None),
                          ("traditional", "complement")):
        s = shares(kind, setting, args.people, args.seed, args.pairs)
        label = f"{kind}, {'default' if setting is None else 'personality: ' + setting}"
        print(f"| {label} | {s['before']:.1%} {s['before_word']} | {s['after']:.1%} {s['after_word']} | "
              f"{', '.join(s['modes'])} |")
    if args.proposed:
        print(f"\nproposed pairs ({args.proposed} people per cohort, seed {args.seed}) with the personality wording:")
        for kind in ("traditional", "reverse"):  # bipartite: an LP (a symbiotic cohort is an integer program)
            count, share = proposed_share(kind, args.proposed, args.seed)
            print(f"  {kind}: {share:.0%} of {count} pairs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
