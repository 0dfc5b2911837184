"""A seeded, realistic synthetic population: an HRIS roster and mentoring applications.

Same seed, same people. Skills are the vocabulary's popular ones, some written as synonyms, related skills or
skills the vocabulary does not know (:func:`_as_written`). Sizes from 50 to 100,000; generation is vectorised with
numpy (Faker only supplies the name pools), so 100,000 people take seconds. The files follow
the data contract (:mod:`mentorflow.contract.columns`): its columns in its order, its roles,
list formats and ranges.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from mentorflow.contract.columns import (
    APPLICATIONS,
    CAPACITY,
    DATE_FORMAT,
    FALSE_WORDS,
    MENTEE_ROLES,
    MENTOR_ROLES,
    ROLES,
    ROSTER,
    SKILL_LEVEL,
    TIPI,
    TIPI_SCALE,
    TRUE_WORDS,
)
from mentorflow.contract.parsing import format_ids, format_skills, parse_skills
from mentorflow.demo import synthetic_offers
from mentorflow.matching import vocabulary as skill_vocabulary

ROSTER_COLUMNS = ROSTER.names
APPLICATION_COLUMNS = APPLICATIONS.names

DEPARTMENTS = {
    "Engineering": ["Software Engineer", "Senior Engineer", "Staff Engineer", "Engineering Manager"],
    "Product": ["Product Analyst", "Product Manager", "Senior Product Manager", "Director of Product"],
    "Sales": ["Sales Associate", "Account Executive", "Sales Manager", "VP Sales"],
    "Marketing": ["Marketing Coordinator", "Content Strategist", "Marketing Manager", "Head of Brand"],
    "Finance": ["Financial Analyst", "Accountant", "Finance Manager", "Controller"],
    "People": ["HR Coordinator", "People Partner", "Talent Manager", "Head of People"],
    "Operations": ["Operations Analyst", "Program Coordinator", "Operations Manager", "COO Office Lead"],
}
LOCATIONS = {
    "Berlin": "Europe/Berlin", "London": "Europe/London", "New York": "America/New_York",
    "San Francisco": "America/Los_Angeles", "Bangalore": "Asia/Kolkata", "Singapore": "Asia/Singapore",
    "Sao Paulo": "America/Sao_Paulo", "Remote (US Central)": "America/Chicago",
}
SKILLS = [
    "public speaking", "negotiation", "python", "data analysis", "leadership", "stakeholder management",
    "career planning", "social media", "machine learning", "cloud architecture", "product strategy",
    "people management", "budgeting", "technical writing", "design thinking", "sql", "networking",
    "time management", "conflict resolution", "customer discovery", "presentation design",
    "strategic thinking", "coaching", "hiring", "digital marketing", "financial modelling",
    "systems thinking", "giving feedback", "executive presence", "remote collaboration",
]
GOAL_TEMPLATES = [
    "Get confident at {a} so I can lead bigger projects",
    "Build a plan to grow my {a} and {b} skills this year",
    "Prepare for a move into a role that needs strong {a}",
    "Understand how senior people approach {a} and {b}",
    "Learn {a} from someone who uses it every day",
    "Become the go-to person on my team for {a}",
]
MOTIVATIONS = [
    "I want to grow faster with guidance from someone who has done it before.",
    "I enjoy helping others and want to give back what my own mentors gave me.",
    "I want an outside perspective on my career choices.",
    "I learn best through honest conversations and feedback.",
    "Mentoring helps me stay close to how newer colleagues see the company.",
]
# How people write skills (generate_applications): a share as a synonym, a share as a related skill of the
# vocabulary, a few as skills the vocabulary does not know; the rest by the popular skill's canonical name.
SYNONYM_SHARE, RELATED_SHARE, UNKNOWN_SHARE = 0.15, 0.10, 0.02
UNKNOWN_SKILLS = ("cobol", "sap fico", "mandarin", "beekeeping", "forklift operation", "chess coaching",
                  "sign language interpretation", "welding")
TRAITS = ["patient", "direct", "structured", "curious", "encouraging", "pragmatic", "good listener", "challenging"]

MAX_LEVEL = 7  # the top executive; everyone else is 1-6 (within the contract's level range)
MAX_CAPACITY = 3  # mentors offer 1-3 mentees (within the contract's capacity range)
HOURS_CHOICES = (2, 3, 4, 6)  # within the contract's hours range


def _names(rng: np.random.Generator, n: int, seed: int) -> np.ndarray:
    from faker import Faker

    fake = Faker(["en_US", "en_GB", "de_DE", "pt_BR", "en_IN"])
    fake.seed_instance(seed)
    pool = max(64, min(600, n // 4 + 64))
    first = np.array([fake.first_name() for _ in range(pool)])
    last = np.array([fake.last_name() for _ in range(pool)])
    return np.char.add(np.char.add(rng.choice(first, n), " "), rng.choice(last, n))


def _email_local(names: np.ndarray) -> np.ndarray:
    import unicodedata

    def ascii_slug(name: str) -> str:
        plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        return ".".join(part for part in "".join(c if c.isalnum() else " " for c in plain.lower()).split())

    return np.array([ascii_slug(n) or "person" for n in names])


def generate_roster(n: int, seed: int = 7, *, today: dt.date | None = None) -> pd.DataFrame:
    """An HRIS roster of ``n`` people with a single-rooted manager tree and no cycles."""
    if not 2 <= n <= 1_000_000:
        raise ValueError(f"population size must be between 2 and 1,000,000 (got {n})")
    rng = np.random.default_rng(seed)
    today = today or dt.date(2026, 1, 1)
    ids = np.array([f"E{i:06d}" for i in range(1, n + 1)])
    departments = np.array(list(DEPARTMENTS))
    dept = rng.choice(departments, n)
    # A pyramid: many juniors, few seniors. Level 7 is the single top executive.
    level = np.minimum(rng.geometric(0.42, n), MAX_LEVEL - 1)
    level[0] = MAX_LEVEL
    titles = np.array([DEPARTMENTS[d][min(3, (lv - 1) * 4 // (MAX_LEVEL - 1))] for d, lv in zip(dept, level)], dtype=object)
    titles[0] = "Chief Executive Officer"
    dept[0] = "Operations"

    manager = np.empty(n, dtype=object)
    manager[0] = ""
    frame = pd.DataFrame({"i": np.arange(n), "dept": dept, "level": level})
    for _, group in frame.iloc[1:].groupby("dept"):
        order = group.sort_values("level", ascending=False)
        idx = order["i"].to_numpy()
        lv = order["level"].to_numpy()
        # Sorted by level, descending: the strictly more senior colleagues of a person are exactly
        # those before the first person of the same level, so a manager is a random earlier index.
        n_senior = np.searchsorted(-lv, -lv, side="left")
        pick = (rng.random(len(idx)) * np.maximum(n_senior, 1)).astype(int)
        manager[idx] = np.where(n_senior > 0, ids[idx[pick]], ids[0])

    location_names = np.array(list(LOCATIONS))
    location = rng.choice(location_names, n, p=_weights(len(location_names), rng))
    timezone = np.array([LOCATIONS[loc] for loc in location])
    tenure_days = rng.integers(10, 365 * 15, n)
    hire = np.array([today - dt.timedelta(days=int(d)) for d in tenure_days])
    on_pip = rng.random(n) < 0.02
    on_pip[0] = False

    names = _names(rng, n, seed)
    local = _email_local(names)
    emails = np.char.add(np.char.add(local.astype(str), np.char.mod(".%d", np.arange(1, n + 1))), "@example.com")
    return pd.DataFrame(
        {
            "employee_id": ids, "full_name": names, "email": emails, "department": dept, "job_title": titles,
            "level": level, "manager_id": manager, "location": location, "timezone": timezone,
            "hire_date": [h.strftime(DATE_FORMAT) for h in hire],
            "on_pip": np.where(on_pip, TRUE_WORDS[0], FALSE_WORDS[0]),
        },
        columns=ROSTER_COLUMNS,
    )


def _weights(k: int, rng: np.random.Generator) -> np.ndarray:
    w = rng.random(k) + 0.3
    return w / w.sum()


def _skill_list(rng: np.random.Generator, count: int, low: int, high: int,
                variety: np.random.Generator | None = None) -> str:
    """``count`` of the popular :data:`SKILLS` with levels; with ``variety``, some are written as people write
    them instead (:func:`_as_written`), drawn from ``variety`` so ``rng``'s sequence is the same either way."""
    chosen = rng.choice(len(SKILLS), size=count, replace=False)
    names = [SKILLS[s] for s in chosen]
    if variety is not None:
        written: list[str] = []
        for name in names:
            written.append(_as_written(variety, name, [n for n in names if n != name] + written))
        names = written
    return format_skills((name, int(rng.integers(low, high + 1))) for name in names)


def _as_written(variety: np.random.Generator, name: str, taken: list[str]) -> str:
    """Mostly the canonical name; else a synonym (sometimes in title case), a related skill of the vocabulary, or
    now and then a skill the vocabulary does not know, so the mapping has work to do. Never a skill already
    ``taken`` in the same list, however written."""
    vocab = skill_vocabulary.current()
    skill = vocab.skills[name]
    draw = variety.random()
    written = name
    if draw < SYNONYM_SHARE and skill.synonyms:
        written = str(variety.choice(skill.synonyms))
        written = written.title() if variety.random() < 0.3 else written
    elif SYNONYM_SHARE <= draw < SYNONYM_SHARE + RELATED_SHARE and skill.related:
        written = str(variety.choice(skill.related))
    elif SYNONYM_SHARE + RELATED_SHARE <= draw < SYNONYM_SHARE + RELATED_SHARE + UNKNOWN_SHARE:
        written = str(variety.choice(UNKNOWN_SKILLS))
    return name if any(vocab.canonical(t) == vocab.canonical(written) for t in taken) else written


# self-described networks, spelled differently by different people (matching compares them normalised)
AFFINITY_NETWORKS = ("Women in Tech", "LGBTQ+ Network", "Black Employee Network", "Parents at Work")


def _affinity_answers(k: int) -> dict[str, str]:
    """Every fifth applicant names a network (no draw: the generator's sequence stays); most of them agree to
    its use and every other one asks for a partner who shares it; one in seven of them leaves consent unticked."""
    if k % 5:
        return {"affinity_network": "", "affinity_match": "", "affinity_consent": ""}
    name = AFFINITY_NETWORKS[(k // 5) % len(AFFINITY_NETWORKS)]
    spelled = name.lower() if k % 3 == 0 else f" {name} " if k % 3 == 1 else name
    consent = (k // 5) % 7 != 3
    return {"affinity_network": spelled, "affinity_match": TRUE_WORDS[1] if k % 10 == 0 else FALSE_WORDS[1],
            "affinity_consent": TRUE_WORDS[1] if consent else FALSE_WORDS[1]}


def generate_applications(
    roster: pd.DataFrame, seed: int = 7, *, program_type: str = "traditional", apply_rate: float = 0.6,
    incomplete_rate: float = 0.04,
) -> pd.DataFrame:
    """Applications from a share of the roster; roles follow the program type's level rules."""
    rng = np.random.default_rng(seed + 1)
    variety = np.random.default_rng([seed, 16])  # how skills are written: its own stream, so the rest stays as it was
    applicants = roster[rng.random(len(roster)) < apply_rate].reset_index(drop=True)
    n = len(applicants)
    levels = applicants["level"].to_numpy()
    mentor, mentee, both = ROLES
    if program_type == "symbiotic":
        role = np.full(n, both, dtype=object)
    elif program_type == "reverse":
        role = np.where(levels <= 2, mentor, mentee).astype(object)
    else:  # traditional and group: seniors mentor juniors
        role = np.where(levels >= 4, mentor, np.where(levels == 3, rng.choice(list(ROLES), n), mentee)).astype(object)
    all_ids = roster["employee_id"].to_numpy()

    volunteered = synthetic_offers.answers(seed, role)
    rows = []
    for k in range(n):
        r = role[k]
        offers = r in MENTOR_ROLES
        wants = r in MENTEE_ROLES
        # mentors offer what they are good at (the top three levels); mentees want to get below the top
        top = int(SKILL_LEVEL.high)
        skills_offered = _skill_list(rng, int(rng.integers(2, 6)), top - 2, top, variety) if offers else ""
        skills_wanted = _skill_list(rng, int(rng.integers(1, 4)), int(SKILL_LEVEL.low), top - 1, variety) if wants else ""
        # goals name the skills a person wants (or, for a mentor only, one they offer and one new one)
        named = list(parse_skills(skills_wanted or skills_offered))
        extra = [s for s in rng.choice(SKILLS, 3, replace=False) if s not in named]
        a, b = (named + extra)[:2]
        goal = str(rng.choice(GOAL_TEMPLATES)).format(a=a, b=b)
        tipi = rng.integers(int(TIPI_SCALE.low), int(TIPI_SCALE.high) + 1, len(TIPI))
        preferred = format_ids(rng.choice(all_ids, int(rng.integers(0, 3)), replace=False)) if wants else ""
        avoid = format_ids(rng.choice(all_ids, int(rng.integers(0, 2)), replace=False))
        rows.append({
            "employee_id": applicants.at[k, "employee_id"],
            "role": r,
            "motivation": str(rng.choice(MOTIVATIONS)),
            "prior_experience": str(rng.choice(["none", "informal mentoring", "one formal program", "several programs"])),
            "skills_offered": skills_offered,
            "skills_wanted": skills_wanted,
            "goals": goal,
            "preferred_traits": ";".join(rng.choice(TRAITS, 2, replace=False)),
            **{name: int(value) for name, value in zip(TIPI, tipi)},
            "capacity": int(rng.integers(int(CAPACITY.low), MAX_CAPACITY + 1)) if offers else "",
            "hours_per_month": float(rng.choice(HOURS_CHOICES)),
            "preferred_partners": preferred,
            "avoid_partners": avoid,
            # every other applicant agrees to share their goals (no draw: the generator's sequence stays)
            "share_goals": TRUE_WORDS[1] if k % 2 == 0 else FALSE_WORDS[1],
            **_affinity_answers(k),
            **volunteered[k],
        })
    apps = pd.DataFrame(rows, columns=APPLICATION_COLUMNS).astype(object)
    # Some people leave answers out: these drive the gap-fill emails and the quality gates.
    incomplete = rng.random(n) < incomplete_rate
    for k in np.flatnonzero(incomplete):
        field = rng.choice(["goals", TIPI[2], "skills_wanted" if apps.at[k, "role"] != mentor else "skills_offered"])
        apps.at[k, field] = ""
    return apps


def write_population(directory: Path, n: int, seed: int = 7, *, program_type: str = "traditional") -> tuple[Path, Path]:
    """Write ``roster.csv`` and ``applications.csv`` into ``directory``; returns both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    roster = generate_roster(n, seed)
    apps = generate_applications(roster, seed, program_type=program_type)
    roster_path, apps_path = directory / "roster.csv", directory / "applications.csv"
    roster.to_csv(roster_path, index=False)
    apps.to_csv(apps_path, index=False)
    return roster_path, apps_path
