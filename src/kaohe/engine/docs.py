"""docs/metrics.md, generated from the registry (`python -m kaohe.engine.docs` rewrites it)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from kaohe.engine.params import GLOBAL_DEFAULTS, GLOBAL_DOCS
from kaohe.engine.registry import all_metrics
from kaohe.units import INFO, UNITS, format_value

DOC_PATH = Path(__file__).resolve().parents[3] / "docs" / "metrics.md"

HEADER = """# Metric catalogue (generated)

<!-- Generated from kaohe.engine.registry by `python -m kaohe.engine.docs`; do not edit.
     tests/engine/test_docs.py fails when this file is stale. -->

Every metric: id (the column / JSON key), 中文 name, English name, unit, direction, grain,
parameters with defaults, source and definition. Ratios are fractions; an empty denominator
gives null. Buyer counts are buyer-days, distinct per group per day. Override a parameter in
`kaohe.toml` under `[metrics.params]` or with `--set` (one resolver, kaohe.params: every
command, web page, report and the demo read the same values): `param=value` for every metric
that has it (named instances keep theirs), `metric_id.param=value` for one metric. An unknown
name or a value of the wrong kind is an error (exit 1) naming it, with the closest name.

Working days (order_timeliness_rate; late_shipments with `ship_workdays`) follow the Chinese
public-holiday calendar — 法定节假日 off, 调休 make-up Saturdays and Sundays on — from the
`chinese-calendar` package; days in years it does not cover count Monday–Friday. Figures
shops used to type in or platforms report (JD 抽检, 改评数, 差评处理率, 催付成功率, 品质退款率,
客户回头率) are computed here, and a `metric_values` row for the same agent and period still
wins over kaohe's value where a scheme or pay plan reads them.
"""


def _value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value) if isinstance(value, str) else str(value)


def _params(params: dict[str, Any]) -> str:
    return "<br>".join(f"`{k}`={_value(v)}" for k, v in params.items()) or "—"


UNIT_EXAMPLE = 1234.5678


def _units() -> list[str]:
    """The closed set of units (kaohe.units) and how the terminal, web and reports show a
    value in each; data files and machine output keep the raw number."""
    lines = [
        "## Units",
        "",
        f"How {UNIT_EXAMPLE} is shown in each unit (terminal, web, reports, payslips); a ratio "
        "is a fraction in data files and machine output and a percent everywhere else.",
        "",
        "| unit | 中文 | English | shown (zh) | shown (en) |",
        "|---|---|---|---|---|",
    ]
    for unit in UNITS:
        info = INFO[unit]
        example = UNIT_EXAMPLE / 10_000 if unit == "ratio" else UNIT_EXAMPLE
        lines.append(
            f"| `{unit}` | {info.zh or '—'} | {info.en or '—'} | "
            f"{format_value(example, unit, 'zh')} | {format_value(example, unit, 'en')} |"
        )
    return [*lines, ""]


def render() -> str:
    lines = [
        HEADER,
        *_units(),
        "## Global parameters (building blocks)",
        "",
        "| parameter | default | meaning |",
        "|---|---|---|",
    ]
    for key, default in GLOBAL_DEFAULTS.items():
        lines.append(
            f"| `{key}` | {_value(default) if default != [] else '[]'} | {GLOBAL_DOCS[key]} |"
        )
    sections: dict[str, list[str]] = {}
    for m in all_metrics():
        row = (
            f"| `{m.id}` | {m.zh} | {m.en} | {m.unit} | {m.direction} | {m.grain} | "
            f"{_params(dict(m.params))} | {m.source if m.base is None else m.source} | "
            f"{m.formula if m.base is None else f'{m.base}: {m.formula}'} |"
        )
        sections.setdefault(m.section, []).append(row)
    for title, rows in sections.items():
        lines += [
            "",
            f"## {title}",
            "",
            "| id | 中文 | English | unit | direction | grain | parameters | source | definition |",
            "|---|---|---|---|---|---|---|---|---|",
            *rows,
        ]
    return "\n".join(lines) + "\n"


def write(path: Path = DOC_PATH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write(Path(sys.argv[1]) if len(sys.argv) > 1 else DOC_PATH))
