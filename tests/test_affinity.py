"""Affinity matching (issue 16, point 9): a participant may ask for a partner who shares a self-described,
consented network, as a preference (``soft``) or a requirement (``hard``); the network is never shown to
the committee, in reports or in logs, and the two people of a pair read only "shares the network you
asked for"."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import logging
import re

import numpy as np
import pandas as pd
import pytest
from conftest import ready_store, run_of, run_to_kickoff, write_cohort
from forms_fixtures import GOOD_APPLICATION
from matching_fixtures import random_instance
from mentorflow import settings
from mentorflow.cohorts.affinity import Affinity
from mentorflow.cohorts.loader import load_cohort
from mentorflow.contract import affinity as contract_affinity
from mentorflow.contract.affinity import COMMITTEE_UNMATCHED, PAIR_REASON, PERSONAL_UNMATCHED, normalise
from mentorflow.demo.synthetic import write_population
from mentorflow.errors import CohortConfigError
from mentorflow.forms import fields as form_fields
from mentorflow.forms.models import FieldErrors
from mentorflow.matching import affinity as matching_affinity
from mentorflow.matching import propose
from mentorflow.personal_data import erasure, export
from mentorflow.reports import affinity_counts, hr, hr_figures
from mentorflow.stages import match, retention
from mentorflow.store import applications, evaluations, matches, quarantine, unmatched

NETWORKS = ["Women in Tech", "LGBTQ+ Network", "Parents at Work"]


def _with_networks(inp, seed: int, *, consent: bool = True):
    """Half the applicants name one of three networks (spelled in different cases and spacing), half of those
    ask for a partner who shares it."""
    rng = np.random.default_rng(seed + 100)
    n = len(inp.applications)
    has = rng.random(n) < 0.5
    spell = [str.lower, str.upper, lambda s: f"  {s.replace(' ', '   ')} "]
    inp.applications["affinity_network"] = [spell[i % 3](NETWORKS[int(rng.integers(0, 3))]) if h else ""
                                            for i, h in enumerate(has)]
    inp.applications["affinity_consent"] = has & consent
    inp.applications["affinity_match"] = has & (rng.random(n) < 0.5)
    return inp


def _sharing_pairs(result, apps: pd.DataFrame) -> tuple[int, int]:
    """(pairs where someone asked and both share the network, pairs where someone asked and they do not)."""
    by_id = apps.set_index("employee_id")

    def asked(e):
        return bool(by_id.at[e, "affinity_match"]) and bool(by_id.at[e, "affinity_consent"])

    def network(e):
        return normalise(by_id.at[e, "affinity_network"]) if by_id.at[e, "affinity_consent"] else ""

    good = bad = 0
    for a, b in zip(result.pairs["mentor_id"], result.pairs["mentee_id"]):
        if asked(a) or asked(b):
            if network(a) and network(a) == network(b):
                good += 1
            else:
                bad += 1
    return good, bad


def _propose(seed: int, mode: str, program_type: str = "traditional", **kw):
    inp = _with_networks(random_instance(seed, 160, program_type), seed, **kw)
    inp.affinity = Affinity(mode=mode, weight=1.0)
    return propose(inp), inp.applications


# -- scoring and rules -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1])
def test_soft_mode_raises_the_pairs_that_share_the_network_someone_asked_for(seed):
    off, apps = _propose(seed, "off")
    soft, _ = _propose(seed, "soft")
    assert _sharing_pairs(soft, apps)[0] > _sharing_pairs(off, apps)[0] + 5
    # the bonus is part of `preferences` (no seventh component), capped at 1
    assert "affinity" not in soft.pairs.columns and soft.pairs["preferences"].max() <= 1.0


@pytest.mark.parametrize("program_type", ["traditional", "reverse", "symbiotic"])
@pytest.mark.parametrize("seed", [0, 3])
def test_hard_mode_never_pairs_someone_who_asked_with_someone_outside_their_network(seed, program_type):
    result, apps = _propose(seed, "hard", program_type)
    good, bad = _sharing_pairs(result, apps)
    assert bad == 0 and good > 0
    for reason in result.unmatched["reason"]:
        assert not any(n.lower() in reason.lower() for n in NETWORKS)


def test_networks_compare_without_case_or_spacing():
    assert normalise("  Women   in TECH ") == normalise("women in tech") == "women in tech"
    apps = pd.DataFrame({"employee_id": ["A", "B", "C"], "affinity_network": ["LGBTQ+  Network", "lgbtq+ network", "x"],
                         "affinity_match": [True, False, True], "affinity_consent": [True, True, False]})
    arrays = matching_affinity.population_arrays(apps, Affinity(mode="hard"))
    assert arrays.code[0] == arrays.code[1] >= 0 and arrays.code[2] == -1  # C did not consent: no network
    assert arrays.asks.tolist() == [True, False, False]
    everyone = np.arange(3)
    assert matching_affinity.allowed(arrays, everyone, everyone).tolist() == [
        [True, True, False], [True, True, True], [False, True, True]]


def test_without_consent_the_network_is_never_used():
    off, _ = _propose(2, "off")
    unconsented, _ = _propose(2, "hard", consent=False)
    pd.testing.assert_frame_equal(off.pairs, unconsented.pairs)
    assert (off.unmatched["reason"] == unconsented.unmatched["reason"]).all()


def test_a_mentor_only_the_hard_rule_leaves_idle_gets_the_neutral_reason_and_other_idle_mentors_theirs():
    inp = random_instance(5, 40, relations=False, pip=False)
    paired = propose(inp).pairs
    mentor = paired["mentor_id"].iloc[0]  # fits someone under every other rule
    inp.applications["affinity_network"] = np.where(inp.applications["employee_id"] == mentor, "Deaf Staff Network",
                                                    "Parents at Work")
    inp.applications["affinity_consent"] = True
    inp.applications["affinity_match"] = inp.applications["employee_id"] == mentor
    inp.affinity = Affinity(mode="hard")
    result = propose(inp)
    assert mentor not in set(result.pairs["mentor_id"])
    reasons = result.unmatched.set_index("employee_id")["reason"]
    assert reasons[mentor] == COMMITTEE_UNMATCHED
    others = result.unmatched.loc[(result.unmatched["role"] == "mentor") & (result.unmatched["employee_id"] != mentor)]
    assert len(others) and not (others["reason"] == COMMITTEE_UNMATCHED).any()


def test_someone_the_hard_rule_leaves_alone_gets_a_neutral_reason_and_their_own_copy_says_which():
    inp = random_instance(5, 40, relations=False, pip=False)
    mentee = inp.applications.loc[inp.applications["role"] == "mentee", "employee_id"].iloc[0]
    (mentor,) = propose(inp).pairs.loc[lambda p: p["mentee_id"] == mentee, "mentor_id"]  # without the rule
    inp.applications["affinity_network"] = np.where(inp.applications["employee_id"] == mentee, "Deaf Staff Network",
                                                    "Parents at Work")
    inp.applications["affinity_consent"] = True
    inp.applications["affinity_match"] = inp.applications["employee_id"] == mentee
    inp.affinity = Affinity(mode="hard")
    result = propose(inp)
    (reason,) = result.unmatched.loc[result.unmatched["employee_id"] == mentee, "reason"]
    assert reason == COMMITTEE_UNMATCHED and "network" not in reason
    own = inp.applications.set_index("employee_id").loc[mentee].to_dict()
    assert contract_affinity.personal_reason(reason, own) == PERSONAL_UNMATCHED
    assert contract_affinity.personal_reason(reason, {**own, "affinity_match": False}) == reason
    # a committee lock against the rule is refused without saying which preference
    inp.locked_pairs = [(mentor, mentee)]
    (note,) = propose(inp).notes
    assert note.endswith(matching_affinity.LOCK_RULE) and "Deaf" not in note


# -- what is stored, and what the form asks ----------------------------------------------------------


def test_the_network_is_stored_only_with_consent():
    assert contract_affinity.consented({"affinity_network": " Women  in Tech ", "affinity_match": "yes",
                                        "affinity_consent": "yes"}) == {
        "affinity_network": "Women in Tech", "affinity_match": True, "affinity_consent": True}
    for consent in ("", "no", None):
        assert contract_affinity.consented({"affinity_network": "Women in Tech", "affinity_match": "yes",
                                            "affinity_consent": consent}) == {
            "affinity_network": None, "affinity_match": False, "affinity_consent": False}
    with pytest.raises(FieldErrors) as refused:
        form_fields.parse("application", {**GOOD_APPLICATION, "affinity_network": "Women in Tech",
                                          "affinity_match": "yes"})
    assert "affinity_consent" in refused.value.errors
    with pytest.raises(FieldErrors) as blank:
        form_fields.parse("application", {**GOOD_APPLICATION, "affinity_match": "yes", "affinity_consent": "yes"})
    assert "affinity_network" in blank.value.errors
    row = form_fields.parse("application", {**GOOD_APPLICATION, "affinity_network": "Women in Tech",
                                            "affinity_match": "yes", "affinity_consent": "yes"}).store_row()
    assert (row["affinity_network"], row["affinity_match"], row["affinity_consent"]) == ("Women in Tech", True, True)
    assert form_fields.prefill("application", row)["affinity_network"] == "Women in Tech"
    assert form_fields.parse("application", GOOD_APPLICATION).store_row()["affinity_network"] is None


def test_a_cohort_sets_the_mode_and_may_suggest_networks(cohorts_dir):
    config = load_cohort(write_cohort(cohorts_dir, matching={"affinity": {"mode": "soft", "weight": 0.3,
                                                                          "networks": ["Women in  Tech"]}}))
    assert config.matching.affinity == Affinity(mode="soft", weight=0.3, networks=["Women in Tech"])
    assert load_cohort(write_cohort(cohorts_dir)).matching.affinity.mode == "off"
    with pytest.raises(CohortConfigError, match="listed twice"):
        load_cohort(write_cohort(cohorts_dir, matching={"affinity": {"networks": ["A b", "a  B"]}}))
    with pytest.raises(CohortConfigError, match="mode"):
        load_cohort(write_cohort(cohorts_dir, matching={"affinity": {"mode": "strict"}}))


# -- counts in reports ---------------------------------------------------------------------------


@pytest.mark.parametrize(("asked", "got", "shown"), [
    (3, 2, ("suppressed", "suppressed", "suppressed")),  # a group of three
    (12, 9, ("12", "suppressed", "suppressed")),  # the three left without would follow from 12 and 9
    (12, 0, ("12", "0", "0%")),
    (40, 33, ("40", "33", "82%")),
])
def test_reports_show_only_suppressed_counts(asked, got, shown):
    view = affinity_counts.published({"asked": asked, "got": got})
    assert (view["asked"], view["got"], view["rate"]) == shown
    assert affinity_counts.published(None) is None


# -- through the stages: intake, matching, committee, kickoff, reports, retention --------------------

SECRET = {"rainbow": "Rainbow Alliance", "deaf": "Deaf Staff Circle", "unconsented": "Quiet Faith Group"}


def _secret_in(text: str) -> list[str]:
    return [s for s in (*SECRET.values(), "rainbow", "deaf staff", "quiet faith") if s.lower() in text.lower()]


@pytest.fixture
def hard_cohort(cohorts_dir):
    """A cohort in hard mode: every fourth applicant is in one network (spelled three ways) and asks for it;
    one mentee asks for a network nobody else has; one applicant names a network without consent."""
    write_population(cohorts_dir / "data", 120, seed=31)
    path = cohorts_dir / "data" / "applications.csv"
    apps = pd.read_csv(path, dtype=str, keep_default_na=False)
    ins = apps.index % 4 == 0
    spell = ["Rainbow Alliance", " rainbow   alliance", "RAINBOW ALLIANCE"]
    apps["affinity_network"] = [spell[i % 3] if x else "" for i, x in enumerate(ins)]
    apps["affinity_match"] = np.where(ins, "yes", "")
    apps["affinity_consent"] = np.where(ins, "yes", "")
    mentees = apps.index[(apps["role"] == "mentee") & ~ins & (apps["goals"] != "")]
    lonely, unconsented = apps.at[mentees[0], "employee_id"], apps.at[mentees[1], "employee_id"]
    apps.loc[mentees[0], ["affinity_network", "affinity_match", "affinity_consent"]] = [SECRET["deaf"], "yes", "yes"]
    apps.loc[mentees[1], ["affinity_network", "affinity_match", "affinity_consent"]] = [SECRET["unconsented"], "yes", ""]
    apps.to_csv(path, index=False)
    config = load_cohort(write_cohort(cohorts_dir, committee={"review_mode": "auto"},
                                      matching={"affinity": {"mode": "hard"}}))
    return config, ready_store(config), lonely, unconsented


def test_the_network_stays_private_from_intake_to_retention(hard_cohort, caplog):
    config, store, lonely, unconsented = hard_cohort
    caplog.set_level(logging.DEBUG)
    run_to_kickoff(config, store)
    c = config.cohort
    stored = {a["employee_id"]: a for a in store.rows(applications, cohort_id=c)}
    assert stored[unconsented]["affinity_network"] is None and stored[unconsented]["affinity_match"] is False
    asked = {e for e, a in stored.items() if a["affinity_match"]}
    assert lonely in asked and len(asked) > 10

    # hard rule: whoever asked has a partner of the same network, or none
    pairs = store.rows(matches, cohort_id=c)
    for p in pairs:
        if p["mentor_id"] in asked or p["mentee_id"] in asked:
            a, b = stored[p["mentor_id"]], stored[p["mentee_id"]]
            assert normalise(a["affinity_network"]) == normalise(b["affinity_network"]) != ""
    (left,) = store.rows(unmatched, cohort_id=c, employee_id=lonely)
    assert left["reason"] == COMMITTEE_UNMATCHED

    # the committee: explanations, unmatched reasons, the report and the approval text
    committee_text = match.committee_summary(config, store, "initial")
    report = (settings.reports_dir(c) / "matches-initial.html").read_text()
    for text in [committee_text, report, *(p["explanation"] for p in pairs),
                 *(u["reason"] for u in store.rows(unmatched, cohort_id=c)),
                 *(str(q["row_json"]) for q in store.rows(quarantine, cohort_id=c))]:
        assert not _secret_in(text), text
        assert PAIR_REASON not in text
    assert "Partners from the same network" in report and "Affinity: " in committee_text

    # the two people of a pair: "shares the network you asked for", and nothing more
    outbox = settings.outbox_dir(c) / "kickoff" / "kickoff"
    told = set()
    for path in outbox.glob("*.eml"):
        body = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        text = "\n".join(body.get_body((part,)).get_content() for part in ("plain", "html"))
        assert not _secret_in(text), path.name
        if PAIR_REASON in text:
            told.add(path.stem)
    sharing = {e for p in pairs for e in (p["mentor_id"], p["mentee_id"])
               if e in asked and p["status"] == "active"}
    assert told == sharing and told

    # HR: counts only, under the disclosure rules
    files = hr.write(config, store, store.frame(evaluations, cohort_id=c))
    for path in settings.reports_dir(c).rglob("*"):
        if path.is_file() and path.suffix in (".html", ".csv", ".txt", ".yaml", ".json"):
            assert not _secret_in(path.read_text(errors="replace")), path
    assert "Partners from the same network" in files["html"].read_text()
    assert not _secret_in(caplog.text)

    # the person's own export says which preference was not met; erasure and retention remove the network
    held = export.collect(store, c, lonely)
    assert held["unmatched"][0]["reason"] == PERSONAL_UNMATCHED
    assert held["applications"][0]["affinity_network"] == SECRET["deaf"]  # their own answer, to them
    erasure.apply(store, erasure.plan(store, c, lonely), "dpo@example.com")
    assert "deaf staff" not in json.dumps([dict(a) for a in store.rows(applications, cohort_id=c)], default=str).lower()
    counted = hr_figures.figures(config, store, store.frame(evaluations, cohort_id=c))["affinity"]
    assert counted["asked"] == len(asked) - 1 and counted["got"] > 0  # the erased person's network is gone
    for _ in range(2):  # a second run changes nothing
        retention.purge_free_text(run_of(config, store, dt.date(2026, 6, 1)))
        purged = [a["affinity_network"] for a in store.rows(applications, cohort_id=c) if a["affinity_network"]]
        assert purged and all(n.startswith(contract_affinity.PURGED) for n in purged)
        assert len(set(purged)) == 1  # three spellings of one network: one token
        assert hr_figures.figures(config, store, store.frame(evaluations, cohort_id=c))["affinity"] == counted


def test_the_form_asks_only_when_the_cohort_uses_affinity(cohorts_dir, tmp_path):
    from forms_fixtures import make_world
    from test_forms import client_for, submit

    world = make_world(cohorts_dir, f"sqlite:///{tmp_path / 'forms.db'}", matching={"affinity": {
        "mode": "hard", "networks": ["Women in Tech", "Parents at Work"]}})
    with client_for() as client:
        page = client.get(world.link("E1", "application")).text
        assert 'name="affinity_network"' in page and '<option value="Women in Tech">' in page
        assert "Pair me only with someone who shares this network" in page
        assert re.search(r'id="affinity_consent"[^>]*>', page) and "checked" not in re.search(
            r'<input[^>]*id="affinity_consent"[^>]*>', page).group(0)
        refused = submit(client, world.link("E1", "application"), {**GOOD_APPLICATION, "affinity_network": "Women",
                                                                   "affinity_match": "yes"})
        assert refused.status_code == 422 and "tick this box" in refused.text
    plain = make_world(cohorts_dir, f"sqlite:///{tmp_path / 'plain.db'}")
    with client_for() as client:
        assert 'name="affinity_network"' not in client.get(plain.link("E1", "application")).text
