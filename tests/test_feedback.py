import numpy as np
import pandas as pd
import yaml
from mentorflow.cohorts.config import Weights
from mentorflow.outcomes.learning import MIN_PAIRS, suggest_weights, write_suggestion

CURRENT = Weights().model_dump()


def outcomes(n: int, seed: int = 0, driver: str = "goals") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({c: rng.random(n) for c in ("skills", "goals", "personality")})
    frame["outcome"] = (0.2 + 0.7 * frame[driver] + rng.normal(0, 0.05, n)).clip(0, 1)
    frame["match_id"] = range(n)
    return frame


def test_the_component_that_drives_outcomes_gains_weight_and_the_others_lose():
    s = suggest_weights(outcomes(200, driver="goals"), CURRENT)
    assert s.r_squared > 0.8
    assert s.suggested["goals"] > s.current["goals"] + 0.1
    assert s.suggested["skills"] < s.current["skills"]
    assert "give more weight to goals" in s.verdict
    assert s.correlations["goals"] > 0.8 and abs(s.correlations["skills"]) < 0.3


def test_components_without_evidence_keep_their_weight():
    s = suggest_weights(outcomes(200), CURRENT)
    for component in ("preferences", "availability", "diversity"):
        assert component in s.no_evidence
        assert s.suggested[component] == round(s.current[component], 3)


def test_too_few_pairs_keeps_the_current_weights():
    s = suggest_weights(outcomes(MIN_PAIRS - 1), CURRENT)
    assert s.suggested == {k: round(v, 3) for k, v in s.current.items()}
    assert f"need {MIN_PAIRS}" in s.verdict


def test_noise_alone_suggests_no_change():
    frame = outcomes(300, seed=4)
    frame["outcome"] = np.random.default_rng(9).random(300)
    s = suggest_weights(frame, CURRENT)
    assert s.r_squared < 0.05
    assert s.suggested == {k: round(v, 3) for k, v in s.current.items()}


def test_snippet_is_valid_yaml_for_the_next_cohort(tmp_path):
    s = suggest_weights(outcomes(120), CURRENT)
    path = write_suggestion(s, "spring", tmp_path / "w.yaml")
    data = yaml.safe_load(path.read_text())
    assert Weights(**data["matching"]["weights"]).goals == s.suggested["goals"]
    assert "Not applied automatically" in path.read_text()
