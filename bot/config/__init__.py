"""Loads and validates configs/*.yaml: the one place that knows the config schema.

Configs come from the packaged defaults (bot/defaults/configs) unless PARETOBOT_CONFIGS (or a
command's `--configs DIR`) names a team folder; then each file is read from that folder when it has
it and from the packaged defaults when it does not (per file: a team overrides what it changes and
keeps the rest). Every error names the file, the key and the field.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.defaults import CONFIGS
from bot.errors import ParetobotError
from bot.model import ConfigKey, sku


class ConfigError(ParetobotError, ValueError):
    """A config file is missing or invalid; the message names file, key and field."""


class Strict(BaseModel):
    """The base of every config schema: an unknown key is an error (a typo must not silently drop
    a setting) and a loaded config cannot be changed."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class GpuCost(Strict):
    kw_all_in: float = Field(gt=0)
    usd_per_gpu_hour: dict[str, float]


class PriceTable(Strict):
    """One dated version of the power and price table."""

    version: int = Field(ge=1)
    date: date
    source: str = Field(min_length=1)
    tiers: list[str] = Field(min_length=1)
    gpus: dict[str, GpuCost]

    @model_validator(mode="after")
    def _every_tier_priced(self) -> PriceTable:
        for name, cost in self.gpus.items():
            if set(cost.usd_per_gpu_hour) != set(self.tiers):
                raise ValueError(
                    f"gpus.{name}.usd_per_gpu_hour has tiers {sorted(cost.usd_per_gpu_hour)}, "
                    f"expected {self.tiers}"
                )
            if any(price <= 0 for price in cost.usd_per_gpu_hour.values()):
                raise ValueError(f"gpus.{name}.usd_per_gpu_hour has a price <= 0")
        return self

    def cost_for(self, hardware: str) -> GpuCost | None:
        """The SKU's entry; runner-style names such as 'b200-dgxc-slurm' match their SKU 'b200'."""
        return self.gpus.get(hardware.lower()) or self.gpus.get(sku(hardware))


class HardwareFile(Strict):
    tables: list[PriceTable] = Field(min_length=1)


class ChangePointSettings(Strict):
    alpha: float = Field(0.001, gt=0, lt=1)
    min_size: int = Field(5, ge=1)


METRICS = ("matched", "targets", "peak")  # the estimates a verdict may rest on (peak: always)


class AnalysisPolicy(Strict):
    """configs/analysis.yaml: thresholds behind every verdict; `overrides` set some of them for
    the configurations a pattern matches (`for_config`)."""

    min_effect: float = Field(0.02, ge=0, lt=1)
    equivalence: float = Field(0.05, gt=0, lt=1)
    confidence: float = Field(0.95, gt=0.5, lt=1)
    verdict_alpha: float = Field(0.01, gt=0, lt=0.5)
    targets: tuple[float, ...] = (20.0, 35.0, 50.0)
    max_failed_fraction: float = Field(0.05, ge=0, le=1)
    suspect_rise: float = Field(0.10, ge=0)
    noise_half_life: float = Field(10.0, gt=0)
    # a run's summary spread (log scale) where a configuration has no noise history yet: what the
    # planner sizes repeats by (`budget.auto_repeats`), never a prior for a verdict
    noise_default: float = Field(0.07, gt=0, lt=1)
    # which estimates a verdict rests on: "matched" (throughput at matched interactivity, the
    # headline where the runs share a range), "targets" (each tok/s/user target), "peak" (always:
    # the headline where nothing else is measured). A team that only sells one operating point
    # leaves the others out, so they can neither lead nor make the verdict "mixed".
    metrics: tuple[str, ...] = METRICS
    repeats: int | None = Field(None, ge=1, le=50)  # runs per side the planner asks (else budget)
    changepoints: ChangePointSettings = ChangePointSettings()
    overrides: tuple[PolicyOverride, ...] = ()

    @model_validator(mode="after")
    def _margins_ordered(self) -> AnalysisPolicy:
        if self.equivalence < self.min_effect:
            raise ValueError("equivalence must be at least min_effect")
        if any(t <= 0 for t in self.targets):
            raise ValueError("targets must be positive tok/s/user levels")
        unknown = [m for m in self.metrics if m not in METRICS]
        if unknown or "peak" not in self.metrics:
            raise ValueError(
                f"metrics must name some of {', '.join(METRICS)}, peak among them "
                f"(got {', '.join(self.metrics)})"
            )
        for i, o in enumerate(self.overrides):  # each one alone must make a valid policy
            try:
                self._with(o)
            except ValidationError as exc:
                raise ValueError(f"overrides[{i}] (match '{o.match}'): {describe(exc)}") from None
        return self

    def _with(self, override: PolicyOverride) -> AnalysisPolicy:
        values = self.model_dump(exclude={"overrides"})
        values |= override.model_dump(exclude={"match"}, exclude_none=True)
        return AnalysisPolicy.model_validate(values)

    def overrides_for(self, config: ConfigKey) -> list[PolicyOverride]:
        return [o for o in self.overrides if config.matches(o.match)]

    def for_config(self, config: ConfigKey) -> AnalysisPolicy:
        """The policy in force for one configuration: every override whose pattern matches it,
        in file order (a later one wins where two set the same field)."""
        policy = self
        for o in self.overrides_for(config):
            try:
                policy = policy._with(o)
            except ValidationError as exc:
                raise ConfigError(
                    f"analysis.yaml: the overrides matching {config.slug} together: {describe(exc)}"
                ) from None
        return policy


class PolicyOverride(Strict):
    """Thresholds for the configurations `match` names (a glob, or a substring, of the slug: as
    `--config`). Fields left out keep the value of the file's top level."""

    match: str = Field(min_length=1)
    min_effect: float | None = None
    equivalence: float | None = None
    confidence: float | None = None
    verdict_alpha: float | None = None
    targets: tuple[float, ...] | None = None
    max_failed_fraction: float | None = None
    suspect_rise: float | None = None
    metrics: tuple[str, ...] | None = None
    repeats: int | None = None


AnalysisPolicy.model_rebuild()


CONFIGS_ENV = "PARETOBOT_CONFIGS"
MASTER_GLOB = "*-master.yaml"  # InferenceX's matrix files (bot/config/matrix.py)


def team_dir() -> Path | None:
    """The team's config folder ($PARETOBOT_CONFIGS), or None; a name that is not a folder is an
    error, not a silent fall back to every default."""
    env = os.environ.get(CONFIGS_ENV)
    if not env:
        return None
    folder = Path(env)
    if not folder.is_dir():
        raise ConfigError(f"{CONFIGS_ENV} / --configs: {env} is not a folder")
    return folder


def config_dir() -> Path:
    """The team folder when one is set, else the packaged defaults. Read single files with
    `config_file`, which falls back to the default for a file the team folder lacks."""
    return team_dir() or CONFIGS


def config_file(name: str) -> Path:
    """Where configs/`name` is read from: the team folder's copy when it has one, else the
    packaged default."""
    team = team_dir()
    if team is not None and (team / name).is_file():
        return team / name
    return CONFIGS / name


def matrix_files() -> list[Path]:
    """The `*-master.yaml` files read as the benchmark matrix: the team folder's when it has any
    (a team's matrix replaces the whole matrix, never merges entry by entry), else the packaged
    ones."""
    team = team_dir()
    found = sorted(team.glob(MASTER_GLOB)) if team is not None else []
    return found or sorted(CONFIGS.glob(MASTER_GLOB))


@contextmanager
def using_configs(folder: str | None) -> Iterator[None]:
    """`--configs DIR` for one call: the same override as PARETOBOT_CONFIGS, undone afterwards."""
    if not folder:
        yield
        return
    before = os.environ.get(CONFIGS_ENV)
    os.environ[CONFIGS_ENV] = folder
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(CONFIGS_ENV, None)
        else:
            os.environ[CONFIGS_ENV] = before


def describe(exc: ValidationError, most: int = 5) -> str:
    """A pydantic error as 'key.field: problem; ...' on one line (the first `most` of them)."""
    errors = exc.errors()

    def one(e: Any) -> str:
        where = ".".join(str(p) for p in e["loc"])
        if not where and e["msg"].startswith("Value error, "):  # a validator's own sentence
            return e["msg"].removeprefix("Value error, ")
        return f"{where or '(top)'}: {e['msg']}"

    text = "; ".join(one(e) for e in errors[:most])
    return text + (f" (and {len(errors) - most} more)" if len(errors) > most else "")


def read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read YAML: {exc}") from None


def load_prices(path: Path | None = None) -> PriceTable:
    """The newest price table in configs/hardware.yaml."""
    path = path or config_file("hardware.yaml")
    raw = read_yaml(path)
    try:
        parsed = HardwareFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe(exc)}") from None
    versions = [t.version for t in parsed.tables]
    if len(set(versions)) != len(versions):
        raise ConfigError(f"{path}: tables: two tables share a version number")
    return max(parsed.tables, key=lambda t: t.version)


def load_policy(path: Path | None = None) -> AnalysisPolicy:
    """configs/analysis.yaml, every field optional (defaults in AnalysisPolicy)."""
    path = path or config_file("analysis.yaml")
    raw = read_yaml(path)
    try:
        return AnalysisPolicy.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe(exc)}") from None
