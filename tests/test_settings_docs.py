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


ENVIRONMENT_READ = re.compile(r"""(os\.environ\.get|os\.getenv)\(\s*["']MENTORFLOW_|os\.environ\[["']MENTORFLOW_\w+["']\](?!\s*=[^=])""")


def test_only_the_settings_module_reads_mentorflow_variables():
    """docs/architecture.md, Rules: process-wide values come from ``settings.current()``; nothing else reads the
    environment (a variable read elsewhere is undocumented and escapes the settings' validation)."""
    package = ROOT / "plugins" / "mentorflow"
    readers = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
               for path in sorted(package.rglob("*.py")) if path.name != "settings.py"
               for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
               if ENVIRONMENT_READ.search(line)]
    assert not readers, "read these through mentorflow.settings.current():\n" + "\n".join(readers)
    assert ENVIRONMENT_READ.search('x = os.environ.get("MENTORFLOW_X")')
    assert ENVIRONMENT_READ.search('x = os.environ["MENTORFLOW_X"]')
    assert not ENVIRONMENT_READ.search('os.environ["MENTORFLOW_HOME"] = str(out)')
