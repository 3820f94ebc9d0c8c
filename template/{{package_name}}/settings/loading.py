"""Reading config/<environment>.yaml over the components' defaults.

A config file holds only what a team changed: every key it leaves out takes its component's
default. What it sets is validated with the components' models; a wrong or unknown key is
reported with the file, the key, what is wrong and what to do, in one message without a
traceback. The section of a component the project does not have (switched off) is kept and
reported as dormant.
"""

from __future__ import annotations

import difflib
import os
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .base import EnvironmentKind, Tier, default_tier

DEFAULT = "default"


class SettingsError(Exception):
    """A config/<environment>.yaml file that cannot be used, with what to fix."""


@dataclass(frozen=True)
class Component:
    """A component's section of the config: its model and its defaults."""

    section: str
    model: type[BaseModel]
    defaults: Callable[[EnvironmentKind], dict[str, Any]]


@dataclass(frozen=True)
class Loaded:
    """An environment's validated settings, and where each value comes from."""

    settings: Any
    # Dotted key -> the config file that sets it, or "default".
    sources: dict[str, str] = field(default_factory=dict)
    # Sections of components that this project does not have: kept, not read.
    dormant: list[str] = field(default_factory=list)


def load(
    environment: str,
    config_dir: Path,
    *,
    model: type[BaseModel],
    components: Iterable[Component],
    template_components: Iterable[str],
    environment_defaults: Callable[[EnvironmentKind], dict[str, Any]],
    cross_checks: Callable[[Any], list[tuple[str, str]]],
) -> Loaded:
    """Read ``config_dir/<environment>.yaml`` over the defaults and validate the result."""
    path = config_dir / f"{environment}.yaml"
    shown = _shown(path)
    raw = _read(path, environment, shown)
    components = list(components)
    present = {component.section for component in components}
    dormant = [key for key in raw if key in template_components and key not in present]
    overrides = {key: value for key, value in raw.items() if key not in dormant}

    tier = overrides.get("tier")
    kind = EnvironmentKind(
        environment, tier if tier in typing.get_args(Tier) else default_tier(environment)
    )
    defaults = {"tier": kind.tier, **environment_defaults(kind)}
    for component in components:
        defaults[component.section] = component.defaults(kind)
    merged = _merge(defaults, overrides)

    try:
        settings = model.model_validate({"name": environment, **merged})
    except ValidationError as error:
        valid_top = [*model.model_fields, *template_components]
        problems = [_describe(e, model, valid_top) for e in error.errors()]
    else:
        problems = [f"{key}: {message}" for key, message in cross_checks(settings)]
    if problems:
        raise SettingsError(f"{shown}: invalid settings\n  " + "\n  ".join(problems))

    in_file = flatten(overrides).keys()
    sources = {key: shown if key in in_file else DEFAULT for key in flatten(settings.model_dump())}
    sources.pop("name", None)
    return Loaded(settings, sources, dormant)


def _shown(path: Path) -> str:
    """The path as a person would type it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return os.fspath(path)


def _read(path: Path, environment: str, shown: str) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(
            f"{shown}: no such file; create it for environment {environment!r} "
            "(an empty file takes every default)"
        ) from None
    except yaml.YAMLError as error:
        raise SettingsError(f"{shown}: not valid YAML: {error}") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise SettingsError(f"{shown}: expected a mapping of settings at the top level")
    if "name" in raw:
        raise SettingsError(f"{shown}: name: unknown key; the file name gives the environment")
    return raw


def _merge(defaults: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``defaults`` with ``overrides`` on top, section by section; a section left empty in
    the file (``pipeline:`` with nothing under it) takes its defaults."""
    merged = dict(defaults)
    for key, value in overrides.items():
        default = defaults.get(key)
        if isinstance(default, dict) and value is None:
            continue
        if isinstance(default, dict) and isinstance(value, dict):
            merged[key] = _merge(default, value)
        else:
            merged[key] = value
    return merged


def flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """The values that are not mappings, by dotted key (a list is one value)."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _describe(error: Any, model: type[BaseModel], valid_top: list[str]) -> str:
    location = [str(part) for part in error["loc"]]
    key = ".".join(location) or "(top level)"
    if error["type"] == "missing":
        return f"{key}: missing; add it"
    if error["type"] == "extra_forbidden":
        valid = _keys_at(model, error["loc"][:-1]) if len(location) > 1 else valid_top
        valid = [name for name in valid if name != "name"]
        close = difflib.get_close_matches(location[-1], valid, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        return f"{key}: unknown key; {hint}remove it or check its spelling"
    message = error["msg"].removeprefix("Value error, ")
    if isinstance(error.get("input"), dict):
        # A check across several keys: their whole section would drown the message.
        return f"{key}: {message}"
    return f"{key}: {message} (got {error.get('input')!r})"


def _keys_at(model: type[BaseModel], location: tuple[Any, ...]) -> list[str]:
    """The keys the model accepts at ``location`` (list indexes are passed over)."""
    current: Any = model
    for part in location:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", {})
        if part not in fields:
            return []
        current = _model_in(fields[part].annotation)
        if current is None:
            return []
    return list(getattr(current, "model_fields", {}))


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model inside an annotation such as ``Model``, ``list[Model]`` or ``Model | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for argument in typing.get_args(annotation):
            found = _model_in(argument)
            if found is not None:
                return found
    return None
