"""`config show`: every config the code reads, where it is read from, and the analysis policy in
force. Resolution itself lives in `config_file` / `matrix_files`; this only reports it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import (
    CONFIGS_ENV,
    AnalysisPolicy,
    config_file,
    load_policy,
    matrix_files,
    team_dir,
)
from bot.defaults import CONFIGS

# each file the code reads, and the module that reads it (bot/defaults/configs/README.md)
FILES = {
    "analysis.yaml": "bot/config/__init__.py (verdict thresholds, change points)",
    "hardware.yaml": "bot/config/__init__.py (prices, power)",
    "upstreams.yaml": "bot/config/upstreams.py (what is watched, budgets, dispatch target)",
    "rules.yaml": "bot/config/upstreams.py (which configurations a change can affect)",
    "components.yaml": "bot/attribution/rank.py (PR ranking)",
    "models.yaml": "bot/config/ingest.py (model keys)",
    "ingest.yaml": "bot/config/ingest.py (offload frameworks, faulty run folders)",
    "notify.yaml": "bot/config/notify.py (alert channels: bot/notify.py, paretobot notify)",
    "runners.yaml": "nothing (InferenceX's runner label map, kept for reference)",
}

TEAM, DEFAULT = "team", "default"


@dataclass(frozen=True)
class Source:
    """One config (a file, the matrix, the recipes folder) and where it is read from."""

    name: str
    path: Path
    source: str  # TEAM or DEFAULT
    fallback: bool  # a team folder is set but lacks it: the packaged default is used
    read_by: str


def _source(name: str, path: Path, team: Path | None, read_by: str) -> Source:
    from_team = team is not None and path.parent == team
    return Source(
        name, path, TEAM if from_team else DEFAULT, team is not None and not from_team, read_by
    )


def sources() -> list[Source]:
    """The config files, the matrix files and the recipes folder, in the order people read them."""
    team = team_dir()
    found = [_source(name, config_file(name), team, by) for name, by in FILES.items()]
    found += [
        _source(p.name, p, team, "bot/config/matrix.py (the benchmark matrix)")
        for p in matrix_files()
    ]
    from bot.runner.recipe import RECIPES_ENV, recipes_dir  # the runner owns its recipe folder

    found.append(
        Source(
            "recipes/",
            recipes_dir(),
            TEAM if os.environ.get(RECIPES_ENV) else DEFAULT,
            False,
            f"bot/runner/recipe.py (${RECIPES_ENV}; --configs does not change it)",
        )
    )
    return found


@dataclass(frozen=True)
class Shown:
    team: Path | None
    sources: list[Source]
    policy: AnalysisPolicy


def show() -> Shown:
    return Shown(team_dir(), sources(), load_policy())


def shown_json(shown: Shown) -> dict[str, Any]:
    return {
        "team_folder": str(shown.team) if shown.team else None,
        "defaults_folder": str(CONFIGS),
        "files": [
            {
                "name": s.name,
                "path": str(s.path),
                "source": s.source,
                "fallback": s.fallback,
                "read_by": s.read_by,
            }
            for s in shown.sources
        ],
        "policy": shown.policy.model_dump(mode="json"),
    }


def team_note(shown: Shown) -> str:
    """One line on where configs come from."""
    if shown.team is None:
        return f"configs: packaged defaults ({CONFIGS}); set ${CONFIGS_ENV} or --configs DIR"
    return (
        f"configs: team folder {shown.team}; a file it lacks is read from the packaged defaults "
        f"({CONFIGS})"
    )
