"""Compared runs are matched by the host they ran on (bot/app/judge.py `same_hosts`): machines of
one model differ as much as the changes worth catching (../shared/data/gpu/README.md)."""

from __future__ import annotations

from bot.app.judge import same_hosts
from bot.model import Build, ConfigKey, Point, Run, Sweep

CONFIG = ConfigKey("m", "fp8", "h200", "vllm", isl=128, osl=64, gpus=1, tp=1)
OLD, NEW = Build("vllm", "v1"), Build("vllm", "v2")


def sweeps(build: Build, *run_ids: str) -> list[Sweep]:
    return [Sweep(CONFIG, build, r, (Point(1, 100.0, 50.0),)) for r in run_ids]


def test_runs_on_shared_hosts_are_compared_and_the_rest_said():
    hosts = {"b1": "h1", "b2": "h1", "b3": "h2", "c1": "h1", "c2": "h1", "c3": "h3"}
    runs = {r: Run(r, host=h) for r, h in hosts.items()}
    base, cand, note = same_hosts(
        sweeps(OLD, "b1", "b2", "b3"), sweeps(NEW, "c1", "c2", "c3"), runs
    )
    assert [s.run_id for s in base] == ["b1", "b2"] and [s.run_id for s in cand] == ["c1", "c2"]
    assert note == "compared on the hosts both sides ran on (h1); 2 run(s) on other hosts left out"


def test_disjoint_hosts_keep_every_run_and_say_so():
    runs = {"b1": Run("b1", host="h1"), "b2": Run("b2", host="h1"),
            "c1": Run("c1", host="h2"), "c2": Run("c2", host="h2")}  # fmt: skip
    base, cand, note = same_hosts(sweeps(OLD, "b1", "b2"), sweeps(NEW, "c1", "c2"), runs)
    assert len(base) == len(cand) == 2
    assert "different hosts (h1 vs h2)" in note


def test_too_few_shared_runs_or_unknown_hosts_change_nothing():
    runs = {"b1": Run("b1", host="h1"), "b2": Run("b2", host="h2"),
            "c1": Run("c1", host="h1"), "c2": Run("c2", host="h3")}  # fmt: skip
    base, cand, note = same_hosts(sweeps(OLD, "b1", "b2"), sweeps(NEW, "c1", "c2"), runs)
    assert (len(base), len(cand), note) == (2, 2, "")  # one run a side on h1: not enough
    base, cand, note = same_hosts(sweeps(OLD, "b1"), sweeps(NEW, "x"), {})
    assert (len(base), len(cand), note) == (1, 1, "")
    one = {"b1": Run("b1", host="h1"), "c1": Run("c1", host="h1")}
    assert same_hosts(sweeps(OLD, "b1"), sweeps(NEW, "c1"), one)[2] == ""
