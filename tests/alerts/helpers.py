"""Hand-built stores for the alert tests: rows arrive through the real importer (so they carry
import ids, as after `kaohe import`), rules are the shipped ones picked by id."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kaohe.alerts.channels import ChannelConfig, make_channel
from kaohe.alerts.load import load_rules
from kaohe.alerts.model import Routing
from kaohe.alerts.setup import Setup, every_channel
from kaohe.ingest import import_file
from kaohe.store import Store
from tests.engine.conftest import msg as engine_msg

_files = itertools.count()


def import_rows(store: Store, folder: Path, table: str, rows: Sequence[dict[str, Any]]) -> int:
    """Write the rows as a CSV and import it; returns the import id."""
    path = folder / f"{table}_{next(_files)}.csv"
    columns = list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    result = import_file(store, path, table=table)
    assert result.rejected == 0, result
    return int(result.import_id)


def setup(
    rule_ids: Sequence[str],
    channels: dict[str, dict[str, Any]] | None = None,
    routing: Routing | None = None,
) -> Setup:
    """The shipped rules named, with channels (name → config) and a routing (default: every
    alert to every channel)."""
    rules = load_rules("default")
    picked = [r for r in rules.rules if r.id in rule_ids]
    assert {r.id for r in picked} == set(rule_ids)
    made = {
        n: make_channel(n, ChannelConfig.model_validate(c)) for n, c in (channels or {}).items()
    }
    return Setup(
        rules.model_copy(update={"rules": picked}),
        routing or every_channel(made),
        made,
        "https://kaohe.example.com",
    )


def msg(
    buyer: str,
    sender: str,
    time: str,
    text: str = "在吗",
    *,
    shop: str = "快手小店",
    platform: str = "kuaishou",
    agent: str = "小美",
) -> dict[str, Any]:
    """A chat row (tests.engine.conftest.msg) with the alert scenarios' shop and agent."""
    return engine_msg(buyer, agent, sender, time, text, shop=shop, platform=platform)
