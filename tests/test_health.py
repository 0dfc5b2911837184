"""Scripted six-month cohorts land in the right health state each month."""

import pandas as pd
import pytest
from mentorflow.cohorts.config import Health
from mentorflow.outcomes.health import AT_RISK, CHECK_IN, ON_TRACK, score_pairs

RULES = Health()
PAIRS = pd.DataFrame({"match_id": [1, 2, 3, 4, 5], "mentor_id": ["M1", "M2", "M3", "M4", "M5"],
                      "mentee_id": ["E1", "E2", "E3", "E4", "E5"]})


def answer(match_id, who, *, meetings=2, satisfaction=5, goal_progress=4, follow_through=5, wants_end=False):
    return {"match_id": match_id, "respondent_id": who, "meetings": meetings, "satisfaction": satisfaction,
            "goal_progress": goal_progress, "follow_through": follow_through, "wants_end": wants_end}


def month(number: int) -> pd.DataFrame:
    rows = []
    # 1: a healthy pair, both answer well every month
    rows += [answer(1, "M1"), answer(1, "E1")]
    # 2: a pair that never meets
    rows += [answer(2, p, meetings=0, satisfaction=3, goal_progress=2, follow_through=3) for p in ("M2", "E2")]
    # 3: one-sided: the mentor is happy, the mentee is not
    rows += [answer(3, "M3", satisfaction=5), answer(3, "E3", satisfaction=1, goal_progress=2, follow_through=3)]
    # 4: silent every month (no rows)
    # 5: fine in month 1, the mentee asks to end in month 2, then stays silent
    if number == 1:
        rows += [answer(5, "M5"), answer(5, "E5")]
    elif number == 2:
        rows += [answer(5, "M5", satisfaction=3), answer(5, "E5", satisfaction=2, wants_end=True)]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def six_months():
    history, previous = {}, None
    for number in range(1, 7):
        scored = score_pairs(PAIRS, month(number), previous, RULES)
        history[number] = scored.set_index("match_id")
        previous = scored
    return history


def states(history, match_id):
    return [history[m].at[match_id, "state"] for m in range(1, 7)]


def test_healthy_pair_is_on_track_every_month(six_months):
    assert states(six_months, 1) == [ON_TRACK] * 6
    assert six_months[3].at[1, "reasons"] == "healthy"


def test_pair_that_never_meets_is_at_risk_and_says_why(six_months):
    assert states(six_months, 2) == [AT_RISK] * 6
    assert "did not meet" in six_months[1].at[2, "reasons"]


def test_one_sided_dissatisfaction_is_never_on_track(six_months):
    assert ON_TRACK not in states(six_months, 3)
    assert "partners disagree on satisfaction" in six_months[1].at[3, "reasons"]


def test_silence_needs_a_check_in_first_and_is_at_risk_when_it_persists(six_months):
    assert states(six_months, 4) == [CHECK_IN] + [AT_RISK] * 5
    assert six_months[4].at[4, "silent_streak"] == 4


def test_asking_to_end_in_month_two_is_at_risk_at_once(six_months):
    assert states(six_months, 5)[:2] == [ON_TRACK, AT_RISK]
    assert "a partner asked to end" in six_months[2].at[5, "reasons"]


def test_thresholds_come_from_the_cohort_yaml():
    strict = Health(on_track_at=0.99, at_risk_below=0.95)
    scored = score_pairs(PAIRS.iloc[:1], month(1), None, strict)
    assert scored.at[0, "state"] == AT_RISK  # the same answers, judged by stricter thresholds


def test_a_sharp_decline_needs_a_check_in_even_above_the_threshold():
    lenient = Health(on_track_at=0.3, at_risk_below=0.1, decline_drop=0.2)
    first = score_pairs(PAIRS.iloc[:1], month(1), None, lenient)
    worse = pd.DataFrame([answer(1, p, satisfaction=3, goal_progress=2, follow_through=3, meetings=1) for p in ("M1", "E1")])
    second = score_pairs(PAIRS.iloc[:1], worse, first, lenient)
    assert second.at[0, "score"] >= lenient.on_track_at
    assert second.at[0, "state"] == CHECK_IN and "declined from" in second.at[0, "reasons"]


def test_inverted_thresholds_are_refused():
    with pytest.raises(ValueError, match="at_risk_below"):
        Health(on_track_at=0.3, at_risk_below=0.5)


def test_the_pulse_figures_count_as_answered_only_people_who_were_asked(cohorts_dir):
    """A person whose circle or written mentoring started after the survey went out can answer about it with
    another partnership's link: they answered but were not asked, and a response rate above 100% (answered
    30 of 18 asked, seen in a run through Airflow) told HR nonsense and contradicted the report's own counts."""
    import datetime as dt

    from conftest import ready_store, write_cohort
    from mentorflow.cohorts.loader import load_cohort
    from mentorflow.reports.pulse import pulse_figures
    from mentorflow.store import email_ledger, pulse_responses

    config = load_cohort(write_cohort(cohorts_dir))
    store = ready_store(config)
    now = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
    store.upsert(email_ledger, [{"cohort_id": config.cohort, "person_id": p, "template": "pulse", "period": "pulse-1",
                                 "recipient": f"{p}@example.com", "status": "sent", "backend": "outbox",
                                 "attempts": 1, "updated_at": now} for p in ("E1", "E2")])
    store.upsert(pulse_responses, [{"cohort_id": config.cohort, "period": "pulse-1", "match_id": m, "respondent_id": p,
                                    "meetings": 1, "satisfaction": 4, "goal_progress": 3, "follow_through": 4,
                                    "wants_end": False, "submitted_at": now}
                                   for m, p in ((1, "E1"), (2, "E3"), (3, "E4"))])
    [row] = pulse_figures(config, store)
    assert (row["asked"], row["answered"]) == (2, 1) and row["response_rate"] == 0.5


def test_the_scaled_mean_is_pandas_own_to_the_last_bit():
    """``health._scaled`` computes on the numbers what ``((values - 1) / 4).clip(0, 1).mean()`` computes in pandas."""
    import math

    import numpy as np
    import pandas as pd
    from mentorflow.outcomes import health

    rng = np.random.default_rng(5)
    series = [pd.Series([], dtype=float), pd.Series([np.nan, np.nan]), pd.Series([3, 5]), pd.Series([1]),
              pd.Series([2, None], dtype="Int64"), pd.Series([0.5, 7.0, np.nan])]
    for _ in range(400):
        size = int(rng.integers(1, 30))
        values = rng.integers(0, 7, size).astype(float) + (rng.random(size) if rng.random() < 0.5 else 0)
        values[rng.random(size) < 0.2] = np.nan
        series.append(pd.Series(values) if rng.random() < 0.8 else pd.Series(values[~np.isnan(values)].astype(int)))
    for values in series:
        expected = float(((values - 1) / 4).clip(0, 1).mean())
        got = health._scaled(values)
        assert got == expected or (math.isnan(got) and math.isnan(expected)), list(values)
