"""What `--help` shows users: every option explained, a description for run, and the
developer option `params --update-odd` hidden (it still works: see tests/test_odd.py)."""

from __future__ import annotations

import pytest

from sim.cli import main


def help_text(capsys, *args: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--help"])
    assert exit_info.value.code == 0
    return capsys.readouterr().out


def test_cases_help_explains_set_and_json(capsys):
    text = help_text(capsys, "cases")
    assert "score with a model parameter changed" in text and "JSON list" in text


def test_run_help_has_a_description(capsys):
    assert "Simulate one scenario for a number of days" in help_text(capsys, "run")


def test_params_help_hides_the_developer_option(capsys):
    assert "update-odd" not in help_text(capsys, "params")


def test_analysis_commands_document_their_options(capsys):
    analyze = help_text(capsys, "analyze")
    assert "--by FACTOR" in analyze and "--verbose" in analyze
    discover = help_text(capsys, "discover")
    assert "--outcome" in discover and "--threshold" in discover and "PRIM" in discover
