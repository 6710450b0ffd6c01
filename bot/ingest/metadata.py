"""What a result file may lack (hardware, GPU count, build...): from options or sidecars.

Sidecars, nearest wins: `<file>.meta.json|yaml` for one file, `paretobot-meta.json|yaml` in
its folder for every file there. Command-line options win over both. Unknown keys are errors,
so a typo in a sidecar cannot silently drop a field.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.config import describe
from bot.ingest.fields import IngestError

FOLDER_SIDECARS = ("paretobot-meta.json", "paretobot-meta.yaml", "paretobot-meta.yml")
FILE_SIDECAR_SUFFIXES = (".meta.json", ".meta.yaml", ".meta.yml")


class Metadata(BaseModel):
    """Facts about a run that the result file itself may not state. All optional here; each
    parser says which ones it needs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hardware: str | None = Field(None, min_length=1)
    gpus: int | None = Field(None, gt=0)
    tp: int | None = Field(None, gt=0)
    ep: int | None = Field(None, gt=0)
    pp: int | None = Field(None, gt=0)
    dp_attention: bool | None = None
    disagg: bool | None = None
    prefill_gpus: int | None = Field(None, ge=0)
    decode_gpus: int | None = Field(None, ge=0)
    framework: str | None = Field(None, min_length=1)
    framework_version: str | None = Field(None, min_length=1)
    framework_commit: str | None = None
    image: str | None = None
    image_digest: str | None = None
    model: str | None = Field(None, min_length=1)
    precision: str | None = Field(None, min_length=1)
    spec_method: str | None = None
    isl: int | None = Field(None, ge=0)
    osl: int | None = Field(None, ge=0)
    scenario: str | None = None
    run_id: str | None = Field(None, min_length=1)
    repeat: int | None = Field(None, ge=0)
    started_at: datetime | None = None

    def over(self, base: Metadata) -> Metadata:
        """This metadata, with `base` filling what this one leaves unset."""
        merged = base.model_dump(exclude_none=True) | self.model_dump(exclude_none=True)
        return Metadata(**merged)


def parse_metadata(raw: Any, source: str) -> Metadata:
    if not isinstance(raw, dict):
        raise IngestError(f"metadata in {source} is not a mapping")
    try:
        return Metadata(**raw)
    except ValidationError as exc:
        raise IngestError(f"bad metadata in {source}: {describe(exc)}") from None


def _read_sidecar(path: Path) -> Metadata:
    try:
        raw_text = path.read_text(encoding="utf-8")
        raw = json.loads(raw_text) if path.suffix == ".json" else yaml.safe_load(raw_text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as exc:
        raise IngestError(f"cannot read sidecar {path.name}: {exc}") from None
    return parse_metadata(raw if raw is not None else {}, path.name)


# The runner's account of a job: not a result, but ingested as its run's provenance
# (bot/ingest/provenance.py).
RUN_RECORD = "paretobot-run.json"


def is_sidecar(path: Path) -> bool:
    """Files beside results that are not results themselves, nor read on their own."""
    return path.name in FOLDER_SIDECARS or path.name.endswith(FILE_SIDECAR_SUFFIXES)


def metadata_for(path: Path, options: Metadata) -> Metadata:
    """Options over the file's own sidecar over its folder's sidecar."""
    found = Metadata()
    for name in FOLDER_SIDECARS:
        if (path.parent / name).is_file():
            found = _read_sidecar(path.parent / name)
            break
    for suffix in FILE_SIDECAR_SUFFIXES:
        own = path.with_name(path.name + suffix)
        if own.is_file():
            found = _read_sidecar(own).over(found)
            break
    return options.over(found)
