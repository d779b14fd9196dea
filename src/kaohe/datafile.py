"""YAML data files (mappings, schemes, pay plans, rule packs, scorecards) validated with
pydantic, with errors that name the file, the line and the field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from kaohe.errors import ConfigError

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
        loc, msg = locate(exc)
        field = ".".join(str(p) for p in loc) or None
        raise ConfigError(msg, file=file, line=node_line(node, loc), field=field) from None
