"""configs/models.yaml (one key per model) and configs/ingest.yaml (what ingest may infer)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from pydantic import Field, ValidationError, field_validator

from bot.config import (
    MASTER_GLOB,
    ConfigError,
    Strict,
    config_file,
    describe,
    matrix_files,
    read_yaml,
)


class ModelsFile(Strict):
    models: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("models")
    @classmethod
    def _one_key_per_alias(cls, models: dict[str, list[str]]) -> dict[str, list[str]]:
        seen: dict[str, str] = {}
        for key, aliases in models.items():
            if not key.strip():
                raise ValueError("a model key is empty")
            for alias in aliases:
                name = alias.strip().lower()
                if not name:
                    raise ValueError(f"{key}: an alias is empty")
                if seen.setdefault(name, key) != key:
                    raise ValueError(f"{key}: alias {alias!r} already belongs to {seen[name]}")
        return models


class IngestHints(Strict):
    offload_frameworks: dict[str, str] = Field(default_factory=dict)
    faulty_run_patterns: tuple[str, ...] = ("faulty",)

    @field_validator("faulty_run_patterns")
    @classmethod
    def _patterns_compile(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for p in patterns:
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"pattern {p!r} is not a regular expression: {exc}") from None
        return patterns

    def framework_for_offload(self, mode: str | None) -> str | None:
        return {k.lower(): v for k, v in self.offload_frameworks.items()}.get((mode or "").lower())

    def faulty(self, run_folder: str) -> bool:
        return any(re.search(p, run_folder, re.IGNORECASE) for p in self.faulty_run_patterns)


def _matrix_pairs(paths: tuple[str, ...]) -> dict[str, str]:
    from bot.config.matrix import load_matrix_file  # the matrix imports this package

    pairs: dict[str, str] = {}
    for path in paths:
        for entry in load_matrix_file(Path(path)).values():
            pairs.setdefault(entry.model.lower(), entry.model_prefix)
    return pairs


@cache
def _aliases(models: str, matrices: tuple[str, ...]) -> dict[str, str]:
    path = Path(models)
    raw = read_yaml(path) if path.exists() else {}
    try:
        parsed = ModelsFile.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe(exc)}") from None
    table = _matrix_pairs(matrices)
    for key, aliases in parsed.models.items():
        table[key.lower()] = key
        table.update({a.strip().lower(): key for a in aliases})
    return table


def model_aliases(folder: Path | None = None) -> dict[str, str]:
    """Every known spelling (lower case) -> its model key: models.yaml over the matrices (of
    `folder`, or as `config_file` and `matrix_files` resolve them)."""
    if folder is not None:
        matrices = tuple(str(p) for p in sorted(folder.glob(MASTER_GLOB)))
        return _aliases(str(folder / "models.yaml"), matrices)
    return _aliases(str(config_file("models.yaml")), tuple(str(p) for p in matrix_files()))


def model_key(name: str, folder: Path | None = None) -> str:
    """The one key of a model name; a name found nowhere is kept as given."""
    return model_aliases(folder).get(name.strip().lower(), name)


@cache
def _hints(path: str) -> IngestHints:
    file = Path(path)
    raw = read_yaml(file) if file.exists() else {}
    try:
        return IngestHints.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        raise ConfigError(f"{file}: {describe(exc)}") from None


def ingest_hints(folder: Path | None = None) -> IngestHints:
    """configs/ingest.yaml: offload modes that name a framework, faulty-run folder patterns."""
    return _hints(str(folder / "ingest.yaml" if folder else config_file("ingest.yaml")))
