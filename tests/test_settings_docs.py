"""docs/settings.md documents every setting, in the order of the Settings model, with a default and a meaning."""

from __future__ import annotations

import re

from conftest import ROOT
from mentorflow.settings import Settings


def documented() -> list[tuple[str, str, str]]:
    text = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    settings_table = text.split("| variable | default | meaning |", 1)[1].split("\n\n", 1)[0]
    rows = [line.strip("|").split("|") for line in settings_table.splitlines() if line.startswith("| `")]
    return [(re.sub(r"[`\s]", "", name), default.strip(), meaning.strip()) for name, default, meaning in rows]


def test_every_setting_is_documented_with_a_default_and_a_meaning():
    rows = documented()
    assert [name for name, _, _ in rows] == [f"MENTORFLOW_{field.upper()}" for field in Settings.model_fields]
    assert all(default and meaning for _, default, meaning in rows)


def test_readme_and_env_example_point_at_the_settings_page():
    assert "docs/settings.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/settings.md" in (ROOT / ".env.example").read_text(encoding="utf-8")
