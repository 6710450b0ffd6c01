"""Recipes (bot/defaults/recipes/*.yaml): how one framework is served and benchmarked, as data.

A recipe holds argv templates, never shell strings. A template element is a string in which
`{name}` is replaced by one value (see `variables`); a value is inserted as text and never parsed
again, so a job value stays inside the one argv element its template put it in, whatever it
contains. Flag groups are added when a job field is set (`when: ep`, `when: not dp_attention`).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.config import ConfigError, describe, read_yaml
from bot.defaults import RECIPES
from bot.errors import ParetobotError
from bot.model import sku
from bot.runner.job import RECIPE_NAME, JobSpec

RECIPES_ENV = "PARETOBOT_RECIPES"
RANDOM_MODEL_SCRIPT = str(Path(__file__).with_name("random_model.py"))
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
WHEN_FIELDS = ("tp", "ep", "pp", "dp_attention", "spec_method")


class RecipeError(ParetobotError, ValueError):
    """A recipe is missing or invalid: a bot error (the job cannot be run as written)."""


def recipes_dir() -> Path:
    """PARETOBOT_RECIPES when set, else the recipes shipped in the package (bot/defaults)."""
    env = os.environ.get(RECIPES_ENV)
    return Path(env) if env else RECIPES


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FlagGroup(_Strict):
    when: str
    args: list[str] = Field(min_length=1)

    @field_validator("when")
    @classmethod
    def _when(cls, value: str) -> str:
        name = value.removeprefix("not ").strip()
        if name not in WHEN_FIELDS:
            raise ValueError(f"'when' names one of {', '.join(WHEN_FIELDS)} (or 'not ...')")
        return value


class Server(_Strict):
    command: list[str] = Field(min_length=1)
    flags: list[FlagGroup] = Field(default_factory=list)
    health: str = Field("/health", pattern=r"^/")
    # A regular expression for the line the server logs per finished request, with the groups
    # `prompt` and `completion` (token counts). When set, every request of a point must have
    # generated exactly the output length asked for (the client cannot always tell: SGLang's
    # counts what it asked for when the server reports usage only in a last, empty chunk).
    usage_line: str = ""

    @field_validator("usage_line")
    @classmethod
    def _usage_line(cls, value: str) -> str:
        if value:
            groups = re.compile(value).groupindex
            if not {"prompt", "completion"} <= set(groups):
                raise ValueError("needs the named groups 'prompt' and 'completion'")
        return value


class Client(_Strict):
    command: list[str] = Field(min_length=1)
    result_file: str = Field(min_length=1)
    result_format: Literal["json", "jsonl"] = "json"
    # How the client reads --random-range-ratio. "lower-bound" (InferenceX, SGLang): lengths are
    # uniform in [ratio * L, L]. "symmetric" (vLLM >= 0.11): uniform in [L(1-r), L(1+r)], r < 1.
    range_ratio: Literal["lower-bound", "symmetric"] = "lower-bound"


class Docker(_Strict):
    gpu_args: list[str] = Field(default_factory=lambda: ["--gpus", "all"])
    args: list[str] = Field(default_factory=list)


class BuildSteps(_Strict):
    """How a job's build is put in place before the server starts, and checked afterwards.

    `commit`: install commands (argv templates, run in order) when the job names a commit: a
    per-commit wheel, `pip install git+URL@{commit}`. `verify`: prints the installed commit (a
    hex commit, or a version carrying one, `...+g1234abcd`) on its last line; the runner compares
    it with the job's commit by prefix. `env`: added for these commands only. `gpu_arch`: SKU ->
    GPU architecture, the `{gpu_arch}` placeholder (kernels compiled for the runner's GPU)."""

    commit: list[list[str]] = Field(default_factory=list)
    verify: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    gpu_arch: dict[str, str] = Field(default_factory=dict)
    timeout_s: float = Field(3600.0, gt=0, description="each install command, and the verify")

    @field_validator("commit")
    @classmethod
    def _commands(cls, value: list[list[str]]) -> list[list[str]]:
        if any(not argv for argv in value):
            raise ValueError("an install command is a non-empty argv list")
        return value


class Recipe(_Strict):
    framework: str = Field(min_length=1)
    description: str = ""
    default_for: list[str] = Field(
        default_factory=list, description="hardware SKUs for which this is the framework's default"
    )
    env: dict[str, str] = Field(default_factory=dict)
    server: Server
    client: Client
    version_command: list[str] = Field(min_length=1)
    docker: Docker = Field(default_factory=Docker)
    build: BuildSteps = Field(default_factory=BuildSteps)
    # builds a job's `random_model` into {model} (an argv template; {random_model_script} is
    # bot/runner/random_model.py, {random_model_spec} the job's settings as JSON)
    random_model: list[str] = Field(default_factory=list)
    name: str = ""
    path: str = ""


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`over` on top of `base`: mappings merge key by key, anything else is replaced."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _raw_recipe(name: str, folder: Path, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    if not RECIPE_NAME.match(name):
        raise RecipeError(f"recipe name {name!r} is not a file name in {folder}")
    if name in seen:
        raise RecipeError(f"recipe '{name}' extends itself ({' -> '.join((*seen, name))})")
    path = folder / f"{name}.yaml"
    if not path.is_file():
        raise RecipeError(f"recipe '{name}' not found: no {path}")
    try:
        raw = read_yaml(path)
    except ConfigError as exc:
        raise RecipeError(str(exc)) from None
    if not isinstance(raw, dict):
        raise RecipeError(f"{path}: a recipe is a mapping")
    base = raw.pop("extends", None)
    if base is None:
        return raw
    if not isinstance(base, str):
        raise RecipeError(f"{path}: extends: names one recipe")
    inherited = _raw_recipe(base, folder, (*seen, name))
    inherited.pop("default_for", None)  # a variant does not claim its base's hardware
    return _merge(inherited, raw)


def load_recipe(name: str, folder: Path | None = None) -> Recipe:
    """Read `<folder>/<name>.yaml` (with what it extends), or raise RecipeError saying why."""
    folder = folder or recipes_dir()
    path = folder / f"{name}.yaml"
    raw = _raw_recipe(name, folder)
    try:
        recipe = Recipe.model_validate(raw)
    except ValidationError as exc:
        raise RecipeError(f"{path}: {describe(exc)}") from None
    return recipe.model_copy(update={"name": name, "path": str(path)})


def recipe_for(job: JobSpec, folder: Path | None = None) -> Recipe:
    """The job's recipe: named by the job, else the framework's recipe for this hardware (one that
    lists the SKU in `default_for`), else the one named after the framework."""
    if job.recipe:
        return load_recipe(job.recipe, folder)
    folder = folder or recipes_dir()
    for path in sorted(folder.glob(f"{job.framework}*.yaml")):
        recipe = load_recipe(path.stem, folder)
        if recipe.framework == job.framework and sku(job.hardware) in recipe.default_for:
            return recipe
    return load_recipe(job.framework, folder)


# ---- rendering ----------------------------------------------------------------------------------


def _lengths(recipe: Recipe, length: int, ratio: float) -> tuple[int, float]:
    """(length, ratio) to pass so the client draws lengths uniform in [ratio * length, length]."""
    if recipe.client.range_ratio == "lower-bound" or ratio >= 1.0:
        return length, ratio if recipe.client.range_ratio == "lower-bound" else 0.0
    # symmetric: centre (1 + ratio) / 2 * L with half-width (1 - ratio) / (1 + ratio) of it
    return round(length * (1 + ratio) / 2), round((1 - ratio) / (1 + ratio), 6)


def variables(job: JobSpec, recipe: Recipe, **run: Any) -> dict[str, str]:
    """Every value a template may name. `run` adds host, port, concurrency, result paths..."""
    input_len, ratio = _lengths(recipe, job.isl, job.random_range_ratio)
    output_len, _ = _lengths(recipe, job.osl, job.random_range_ratio)
    values: dict[str, Any] = {
        "model": job.model,
        "served_model_name": job.model_name,
        "tokenizer": job.tokenizer or job.model,
        "tp": job.tp,
        "ep": job.ep,
        "pp": job.pp,
        "gpus": job.gpu_count,
        "isl": job.isl,
        "osl": job.osl,
        "input_len": input_len,
        "output_len": output_len,
        "range_ratio": ratio,
        "max_model_len": job.context_length,
        "precision": job.precision,
        # the build the job names: a recipe may install it (`pip install ...@{commit}`)
        "version": job.version,
        "commit": job.commit,
        "image": job.image,
        "gpu_arch": recipe.build.gpu_arch.get(sku(job.hardware), ""),
        "random_model_script": RANDOM_MODEL_SCRIPT,
        "random_model_spec": json.dumps(job.random_model or {}, sort_keys=True),
    }
    values.update(run)
    return {k: str(v) for k, v in values.items()}


def render(template: list[str], values: dict[str, str]) -> list[str]:
    """Fill each element's {placeholders}; an unknown name is a recipe error."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise RecipeError(f"template names unknown value {{{name}}}")
        return values[name]

    return [_PLACEHOLDER.sub(one, element) for element in template]


def _is_set(job: JobSpec, when: str) -> bool:
    negate = when.startswith("not ")
    value = getattr(job, when.removeprefix("not ").strip())
    if isinstance(value, bool):
        result = value
    elif isinstance(value, int):
        result = value > 1
    else:
        result = bool(value) and str(value).lower() != "none"
    return result != negate


def server_argv(job: JobSpec, recipe: Recipe, values: dict[str, str]) -> list[str]:
    """The serve command: template, flag groups whose condition holds, then the job's extra args."""
    argv = render(recipe.server.command, values)
    for group in recipe.server.flags:
        if _is_set(job, group.when):
            argv += render(group.args, values)
    return argv + list(job.extra_args)


def client_argv(recipe: Recipe, values: dict[str, str]) -> list[str]:
    return render(recipe.client.command, values)


def result_name(recipe: Recipe, concurrency: int) -> str:
    return render([recipe.client.result_file], {"concurrency": str(concurrency)})[0]


def random_model_argv(job: JobSpec, recipe: Recipe, values: dict[str, str]) -> list[str]:
    """The command that builds the job's random model ([] when the job asks for none)."""
    if job.random_model is None:
        return []
    if not recipe.random_model:
        raise RecipeError(
            f"recipe '{recipe.name}' cannot build a random model (no random_model command); the "
            "job's random_model needs one"
        )
    return render(recipe.random_model, values)


def environment(job: JobSpec, recipe: Recipe) -> dict[str, str]:
    """What the recipe and then the job add to the environment (the job wins)."""
    return {**recipe.env, **job.env}


def install_argvs(job: JobSpec, recipe: Recipe, values: dict[str, str]) -> list[list[str]]:
    """The recipe's install commands for the job's build: only when the job names a commit."""
    if not job.commit:
        return []
    return [render(argv, values) for argv in recipe.build.commit]


def verify_argv(job: JobSpec, recipe: Recipe, values: dict[str, str]) -> list[str]:
    """The command that prints the installed commit ([] when there is nothing to verify)."""
    if not job.commit or not recipe.build.verify:
        return []
    return render(recipe.build.verify, values)


def build_environment(recipe: Recipe, values: dict[str, str]) -> dict[str, str]:
    return {name: render([text], values)[0] for name, text in recipe.build.env.items()}
