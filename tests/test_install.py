"""The product as users get it: a built wheel, run from an empty folder, not this checkout.

An editable install reads configs, recipes and examples straight from the source tree, so a
package-data mistake never shows in the rest of the suite; here the wheel is built, every file
the code reads at run time must be in it, and the installed copy must run the demo on its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def project_files() -> list[str]:
    """What a clone holds: tracked files and new ones not ignored (no build/ or egg-info/,
    whose stale lists would smuggle files into the wheel that a fresh clone would not ship)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.split("\n")  # fmt: skip
    return [p for p in listed if p and (ROOT / p).is_file()]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    clone = tmp_path_factory.mktemp("clone")
    for name in project_files():
        (clone / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, clone / name)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(clone)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    (found,) = out.glob("paretobot-*.whl")
    return found


def test_the_wheel_carries_every_file_the_code_reads(wheel):
    data = [
        p
        for p in project_files()
        if p.startswith(("bot/defaults/", "bot/report/templates/")) and not p.endswith(".py")
    ]
    assert any(p.endswith("configs/analysis.yaml") for p in data)
    assert any(p.endswith("recipes/vllm.yaml") for p in data)
    assert any(p.endswith("examples/vllm-cpu/run-a/c1.json") for p in data)
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    assert sorted(set(data) - shipped) == []


def test_the_installed_wheel_runs_from_an_empty_folder(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site),
         str(wheel)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("PARETOBOT_CONFIGS", None)
    env.pop("PARETOBOT_RECIPES", None)

    def run(*args: str) -> subprocess.CompletedProcess:
        argv = list(args) if args[0].endswith("paretobot") else [sys.executable, *args]
        return subprocess.run(
            argv, cwd=empty, env=env, capture_output=True, text=True,
            timeout=300,
        )  # fmt: skip

    where = run("-c", "import bot; print(bot.__file__)")
    assert where.stdout.strip().startswith(str(site)), where.stdout  # not this checkout
    paretobot = str(site / "bin" / "paretobot")  # the console script pip wrote
    version = run(paretobot, "--version")
    assert version.returncode == 0 and version.stdout.startswith("paretobot "), version.stderr
    demo = run(paretobot, "demo")
    assert demo.returncode == 0, demo.stderr
    assert "stored 13 file(s) (31 points), 0 already stored, 0 copies, 0 quarantined" in demo.stdout
    assert "### inconclusive: tiny/" in demo.stdout
    # the configs and recipes the rest of the product reads come from the wheel too
    plan = run("-c", "from bot.config.matrix import load_matrix; print(len(load_matrix()))")
    assert plan.returncode == 0 and int(plan.stdout) > 0, plan.stderr
    recipe = run(
        "-c", "from bot.runner.recipe import load_recipe; print(load_recipe('vllm').framework)"
    )
    assert recipe.returncode == 0, recipe.stderr
