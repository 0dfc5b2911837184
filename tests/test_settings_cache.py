"""``settings.current()`` is cached per process and still follows the environment: a changed, added or removed
``MENTORFLOW_*`` variable is seen at once, other variables cost no rebuild, and ``refresh()`` forgets the cache."""

from __future__ import annotations

import os

from mentorflow import settings


def test_the_same_environment_gives_the_same_settings_object():
    assert settings.current() is settings.current()


def test_a_changed_added_or_removed_variable_is_seen_at_once(monkeypatch, tmp_path):
    monkeypatch.setenv("MENTORFLOW_HOME", str(tmp_path / "a"))
    assert settings.home() == tmp_path / "a"
    monkeypatch.setenv("MENTORFLOW_HOME", str(tmp_path / "b"))  # changed
    assert settings.home() == tmp_path / "b"
    monkeypatch.setenv("MENTORFLOW_SMTP_PORT", "2525")  # added
    assert settings.current().smtp_port == 2525
    monkeypatch.delenv("MENTORFLOW_SMTP_PORT")  # removed
    assert settings.current().smtp_port == 1025
    os.environ["MENTORFLOW_SMTP_HOST"] = "mail.invalid"  # set without monkeypatch, as the CLI and the demo do
    try:
        assert settings.current().smtp_host == "mail.invalid"
    finally:
        del os.environ["MENTORFLOW_SMTP_HOST"]
    assert settings.current().smtp_host == "127.0.0.1"


def test_other_variables_do_not_rebuild_and_refresh_does(monkeypatch):
    before = settings.current()
    monkeypatch.setenv("SOMETHING_ELSE", "x")
    assert settings.current() is before
    settings.refresh()
    after = settings.current()
    assert after is not before and after == before
