"""`paretobot config show` and team config folders: where each config is read from, per file.

Expected paths and values are computed here from the packaged folder and from the files the tests
write, not taken from the code under test.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from bot.attribution.rank import load_components
from bot.config import AnalysisPolicy, load_policy, load_prices
from bot.config.ingest import ingest_hints, model_key
from bot.config.matrix import load_matrix
from bot.config.notify import load_notify
from bot.config.upstreams import load_rules, load_upstreams
from bot.defaults import CONFIGS, RECIPES

FILES = [
    "analysis.yaml", "hardware.yaml", "upstreams.yaml", "rules.yaml", "components.yaml",
    "models.yaml", "ingest.yaml", "notify.yaml", "runners.yaml",
]  # fmt: skip
MATRICES = sorted(p.name for p in CONFIGS.glob("*-master.yaml"))


@pytest.fixture(autouse=True)
def no_team(monkeypatch):
    monkeypatch.delenv("PARETOBOT_CONFIGS", raising=False)
    monkeypatch.delenv("PARETOBOT_RECIPES", raising=False)


@pytest.fixture
def team(tmp_path) -> Path:
    """A team folder that overrides only two thresholds of analysis.yaml."""
    folder = tmp_path / "team-configs"
    folder.mkdir()
    (folder / "analysis.yaml").write_text("min_effect: 0.03\nequivalence: 0.06\n")
    return folder


def by_name(shown: dict) -> dict[str, dict]:
    return {f["name"]: f for f in shown["files"]}


def test_defaults_are_every_packaged_file(paretobot):
    run = paretobot("config", "show", "--json")
    assert run.code == 0, run.err
    shown = run.json()
    assert shown["team_folder"] is None
    assert [f["name"] for f in shown["files"]] == FILES + MATRICES + ["recipes/"]
    files = by_name(shown)
    for name in FILES + MATRICES:
        assert Path(files[name]["path"]) == CONFIGS / name
        assert (CONFIGS / name).is_file()
        assert files[name]["source"] == "default" and not files[name]["fallback"]
    assert Path(files["recipes/"]["path"]) == RECIPES
    # the policy in force is analysis.yaml over the schema's defaults
    written = yaml.safe_load((CONFIGS / "analysis.yaml").read_text()) or {}
    for key, value in written.items():
        got = shown["policy"][key]
        assert got == (list(value) if isinstance(value, tuple | list) else value), key
    assert set(shown["policy"]) == set(AnalysisPolicy.model_fields)


@pytest.mark.parametrize("how", ["option", "environment"])
def test_team_folder_overrides_per_file(paretobot, team, monkeypatch, how):
    if how == "environment":
        monkeypatch.setenv("PARETOBOT_CONFIGS", str(team))
        run = paretobot("config", "show", "--json")
    else:
        run = paretobot("config", "show", "--json", "--configs", team)
    assert run.code == 0, run.err
    shown = run.json()
    assert shown["team_folder"] == str(team)
    files = by_name(shown)
    assert Path(files["analysis.yaml"]["path"]) == team / "analysis.yaml"
    assert files["analysis.yaml"]["source"] == "team" and not files["analysis.yaml"]["fallback"]
    for name in [*FILES[1:], *MATRICES]:  # the team folder lacks them: the packaged defaults
        assert Path(files[name]["path"]) == CONFIGS / name
        assert files[name]["source"] == "default" and files[name]["fallback"], name
    assert shown["policy"]["min_effect"] == 0.03 and shown["policy"]["equivalence"] == 0.06
    assert shown["policy"]["confidence"] == AnalysisPolicy().confidence  # not in the team file


def test_option_is_for_one_call_and_beats_the_environment(paretobot, team, tmp_path, monkeypatch):
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.setenv("PARETOBOT_CONFIGS", str(other))
    shown = paretobot("config", "show", "--json", "--configs", team).json()
    assert shown["team_folder"] == str(team)
    assert os.environ["PARETOBOT_CONFIGS"] == str(other)  # restored after the call
    assert paretobot("config", "show", "--json").json()["team_folder"] == str(other)


def test_the_loaders_fall_back_as_shown(team, monkeypatch):
    """What `config show` says is what the code reads: every loader works from a team folder
    that holds only analysis.yaml, and reads the packaged files for the rest."""
    monkeypatch.setenv("PARETOBOT_CONFIGS", str(team))
    assert load_policy().min_effect == 0.03
    assert load_prices() == load_prices(CONFIGS / "hardware.yaml")
    assert ingest_hints() == ingest_hints(CONFIGS)
    assert load_upstreams() == load_upstreams(CONFIGS / "upstreams.yaml")
    assert load_rules() == load_rules(CONFIGS / "rules.yaml")
    assert load_components() == load_components(CONFIGS / "components.yaml")
    assert load_notify() == load_notify(CONFIGS / "notify.yaml")
    models = yaml.safe_load((CONFIGS / "models.yaml").read_text())["models"]
    key, aliases = next((k, a) for k, a in models.items() if a)
    assert model_key(aliases[0].upper()) == key
    assert len(load_matrix()) == len(load_matrix(CONFIGS)) > 0


def test_a_team_matrix_replaces_the_packaged_one(paretobot, team):
    name = MATRICES[0]
    shutil.copy(CONFIGS / name, team / "team-master.yaml")
    files = by_name(paretobot("config", "show", "--json", "--configs", team).json())
    assert "team-master.yaml" in files and not set(MATRICES) & set(files)
    assert files["team-master.yaml"]["source"] == "team"
    assert Path(files["team-master.yaml"]["path"]) == team / "team-master.yaml"


def test_text_output_says_where_each_file_came_from(paretobot, team):
    run = paretobot("config", "show", "--configs", team)
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert str(team) in lines[0]
    (analysis,) = [line for line in lines if line.split()[:1] == ["analysis.yaml"]]
    assert analysis.split()[1:] == ["team", str(team / "analysis.yaml")]
    (hardware,) = [line for line in lines if line.split()[:1] == ["hardware.yaml"]]
    assert str(CONFIGS / "hardware.yaml") in hardware and "not in the team folder" in hardware
    assert "  min_effect = 0.03" in lines
    assert f"  changepoints.min_size = {AnalysisPolicy().changepoints.min_size}" in lines


def test_a_missing_team_folder_is_one_line(paretobot, tmp_path):
    missing = tmp_path / "nope"
    run = paretobot("config", "show", "--configs", missing)
    assert run.code == 1 and run.out == ""
    (line,) = run.err.strip().splitlines()
    assert line.startswith("paretobot: ") and str(missing) in line


def test_an_invalid_team_file_names_the_file(paretobot, team):
    (team / "analysis.yaml").write_text("min_efect: 0.03\n")
    run = paretobot("config", "show", "--configs", team)
    assert run.code == 1
    (line,) = run.err.strip().splitlines()
    assert str(team / "analysis.yaml") in line and "min_efect" in line
