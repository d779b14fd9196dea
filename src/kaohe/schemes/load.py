"""Reading scheme files: the shipped presets (kaohe/schemes/presets/*.yaml) or a user's YAML.

A mistake names the file, the line and the field, like the mapping presets
(kaohe.ingest.presets, whose YAML line lookup this reuses).
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from kaohe.datafile import FieldProblem, exists, parse_model
from kaohe.errors import UsageError
from kaohe.schemes.model import Scheme


def parse_scheme_text(text: str, file: str) -> Scheme:
    """Validate one scheme YAML; errors name file, line and field."""
    what = "a scheme file must be a mapping (id, name, items, ...)"
    return parse_model(Scheme, text, file, what, locate=_error_location)[0]


def _error_location(exc: ValidationError) -> tuple[tuple[int | str, ...], str]:
    """The YAML path of the first error: pydantic's location (without union tags) plus the
    location a validator's FieldProblem gives inside its model."""
    err = exc.errors()[0]
    loc = _yaml_loc(tuple(p for p in err["loc"] if isinstance(p, int | str)))
    problem = (err.get("ctx") or {}).get("error")
    if isinstance(problem, FieldProblem):
        return (*loc, *problem.loc), str(problem)
    if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
        loc = (*loc, "rule")
    return loc, err["msg"]


RULE_TAGS = {
    "tiers",
    "deduct_per_point",
    "deduct_per_count",
    "penalty_if",
    "weighted",
    "fixed",
    "when",
}


def _yaml_loc(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """Drop the union tags pydantic puts in a location ('items.0.tiers.bands' → YAML path)."""
    out: list[int | str] = []
    for part in loc:
        if part in RULE_TAGS and out and (isinstance(out[-1], int) or out[-1] in ("then", "else")):
            continue
        out.append(part)
    return tuple(out)


def _preset_dir():  # noqa: ANN202 - importlib Traversable
    return resources.files("kaohe.schemes").joinpath("presets")


@functools.cache
def _presets() -> tuple[Scheme, ...]:
    files = sorted(
        (f for f in _preset_dir().iterdir() if f.name.endswith((".yaml", ".yml"))),
        key=lambda f: f.name,
    )
    return tuple(
        parse_scheme_text(f.read_text("utf-8"), f"kaohe/schemes/presets/{f.name}") for f in files
    )


def list_schemes() -> list[Scheme]:
    """Every shipped preset scheme, by id."""
    return sorted((s.model_copy(deep=True) for s in _presets()), key=lambda s: s.id)


def load_scheme(id_or_path: str, params: dict[str, float] | None = None) -> Scheme:
    """A preset by id or a user's scheme file; ``params`` override the parameter defaults."""
    scheme = next((s for s in list_schemes() if s.id == id_or_path), None)
    if scheme is None:
        path = Path(id_or_path)
        if path.suffix.lower() not in (".yaml", ".yml") and not exists(path):
            from kaohe.suggest import unknown

            found = unknown("考核方案", "scheme", id_or_path, [s.id for s in list_schemes()])
            raise UsageError(f"{found}（或一个 .yaml 文件 / or a .yaml file）")
        if not exists(path, file=True):
            raise UsageError(f"scheme file not found: {id_or_path}")
        scheme = parse_scheme_text(path.read_text("utf-8"), str(path))
    return with_params(scheme, params) if params else scheme


def with_params(scheme: Scheme, params: dict[str, float]) -> Scheme:
    """The scheme with some parameter defaults replaced (the manager's own targets)."""
    missing = sorted(set(params) - set(scheme.params))
    if missing:
        from kaohe.suggest import unknown

        raise UsageError(
            unknown(f"参数（{scheme.id}）", f"parameter of {scheme.id}", missing[0], scheme.params)
        )
    out = scheme.model_copy(deep=True)
    for name, value in params.items():
        out.params[name] = out.params[name].model_copy(update={"default": float(value)})
    return out
