"""YAML data files (mappings, schemes, pay plans, rule packs, scorecards) validated with
pydantic, with errors that name the file, the line and the field."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from kaohe.errors import ConfigError
from kaohe.suggest import unknown

Loc = tuple[int | str, ...]
Model = TypeVar("Model", bound=BaseModel)


class FieldProblem(ValueError):
    """A semantic error found by a validator, located at ``loc`` (a path of keys in the YAML,
    relative to the model that raised it)."""

    def __init__(self, loc: Loc, message: str) -> None:
        super().__init__(message)
        self.loc = loc


def node_line(node: yaml.Node | None, loc: Loc) -> int | None:
    """The 1-based line of the YAML node at path ``loc`` (deepest existing node)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        child = _child(node, part)
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line


def _child(node: yaml.Node | None, part: int | str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == str(part):
                return k if isinstance(v, yaml.ScalarNode) and v.value == "" else v
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]
    return None


def read_mapping(text: str, file: str, what: str) -> tuple[yaml.Node, dict[str, Any]]:
    """The YAML node tree and data of a file that must hold one mapping (`what` describes
    it for the error, e.g. "a scheme file must be a mapping (id, name, items, ...)")."""
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(
            f"invalid YAML: {exc}", file=file, line=mark.line + 1 if mark else None
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(what, file=file, line=1)
    return node, data


def error_location(exc: ValidationError) -> tuple[Loc, str]:
    """Where the first error is: pydantic's location, then a FieldProblem's own path."""
    err = exc.errors()[0]
    loc = tuple(p for p in err["loc"] if isinstance(p, int | str))
    problem = (err.get("ctx") or {}).get("error")
    if isinstance(problem, FieldProblem):
        return (*loc, *problem.loc), str(problem)
    return loc, err["msg"]


def parse_model(
    model: type[Model],
    text: str,
    file: str,
    what: str,
    locate: Callable[[ValidationError], tuple[Loc, str]] = error_location,
) -> tuple[Model, yaml.Node]:
    """Validate a YAML file against `model`; a mistake is a ConfigError naming file, line and
    field. Returns the model and the node tree (for locating later errors)."""
    node, data = read_mapping(text, file, what)
    try:
        return model.model_validate(data), node
    except ValidationError as exc:
        typo = unknown_field(model, exc)
        loc, msg = typo or locate(exc)
        msg = msg if typo else unknown_choice(exc) or msg
        field = ".".join(str(p) for p in loc) or None
        raise ConfigError(msg, file=file, line=node_line(node, loc), field=field) from None


# ---------------------------------------------------------------- unknown fields


def unknown_field(model: type[BaseModel], exc: ValidationError) -> tuple[Loc, str] | None:
    """For a field the model does not have (a typo: `metirc:`, often reported with the field
    it misspells as missing), its YAML location and the message naming the closest field the
    model has; None when no field is unknown."""
    errors = exc.errors()
    first = errors[0]
    extra = first if first["type"] == "extra_forbidden" else None
    if first["type"] == "missing":  # a misspelt field is also missing under its right name
        parent = tuple(first["loc"][:-1])
        extra = next(
            (
                e
                for e in errors
                if e["type"] == "extra_forbidden" and tuple(e["loc"][:-1]) == parent
            ),
            None,
        )
    if extra is None:
        return None
    loc = tuple(p for p in extra["loc"] if isinstance(p, int | str))
    allowed, path = fields_at(model, loc[:-1])
    return (*path, loc[-1]), unknown("字段", "field", str(loc[-1]), allowed)


def unknown_choice(exc: ValidationError) -> str | None:
    """For a value outside a closed list (`rule: wieghted`, `method: tem`), the message
    naming the closest allowed value; None for other errors."""
    err = exc.errors()[0]
    ctx = err.get("ctx") or {}
    if err["type"] in ("union_tag_invalid", "literal_error"):
        given = ctx.get("tag", err.get("input"))
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected_tags") or ctx.get("expected")))
        if isinstance(given, str) and allowed:
            return unknown("取值", "value", given, allowed)
    return None


def fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[set[str], Loc]:
    """The field names (and aliases) of the model(s) at pydantic location `loc`, and that
    location as a YAML path (without the tags of discriminated unions)."""
    kinds: list[Any] = [model]
    path: list[int | str] = []
    for part in loc:
        tag = any(_is_model(m) and _has_tag(m, part) for k in kinds for m in _members(k))
        field = any(_is_model(m) and _field(m, part) for k in kinds for m in _members(k))
        if not tag or field:
            path.append(part)
        kinds = [k for kind in kinds for k in _step(kind, part)]
    names: set[str] = set()
    for kind in kinds:
        if _is_model(kind):
            for name, info in kind.model_fields.items():
                names.add(info.alias or name)
    return names, tuple(path)


def _step(kind: Any, part: Any) -> list[Any]:
    """The types one location step below `kind` (`part`: a field, an index, a key or a
    discriminated union's tag)."""
    out: list[Any] = []
    for member in _members(kind):
        if _is_model(member):
            field = _field(member, part)
            if field is not None:
                out += _members(field.annotation)
            elif _has_tag(member, part):
                out.append(member)
            continue
        origin = typing.get_origin(member)
        args = typing.get_args(member)
        if origin in (list, tuple, set) and args:
            out += _members(args[0])
        elif origin is dict and len(args) == 2:
            out += _members(args[1])
    return out


def _members(kind: Any) -> list[Any]:
    """A type with Annotated, Optional and unions unwrapped into its concrete members."""
    origin = typing.get_origin(kind)
    if origin is typing.Annotated:
        return _members(typing.get_args(kind)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(kind) for m in _members(arg)]
    return [kind]


def _is_model(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, BaseModel)


def _field(model: type[BaseModel], part: Any) -> Any:
    for name, info in model.model_fields.items():
        if part in (name, info.alias):
            return info
    return None


def _has_tag(model: type[BaseModel], part: Any) -> bool:
    """Whether `part` is the value of one of the model's Literal fields (a union tag)."""
    for info in model.model_fields.values():
        if typing.get_origin(info.annotation) is typing.Literal and part in typing.get_args(
            info.annotation
        ):
            return True
    return False


def exists(path: Path, file: bool = False) -> bool:
    """Whether `path` exists (is a file, with `file`); a name the system refuses to look up
    (too long, …) is "not there", so that a reference given as a preset id or a file name
    ends in the loader's one-line "unknown …" or "not found", never an OSError."""
    try:
        return path.is_file() if file else path.exists()
    except OSError:
        return False
