"""Settings from `kaohe.toml` and the environment, and the parsing of `--set key=value`.
Parameters are resolved (defaults → kaohe.toml → --set) and checked by kaohe.params."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kaohe.errors import ConfigError

DEFAULT_DB = "kaohe.duckdb"
DEFAULT_CONFIG = "kaohe.toml"
DEFAULT_ZONE = "Asia/Shanghai"
# DuckDB's working memory: beyond it, work spills to disk so a laptop stays usable (10M
# messages take ~3.5 GB unbounded; under 2.8 GB they spill ~0.4 GB and lose ~3 s, measured in
# benchmarks/kpi_bench.py). [store] memory_limit = "" restores DuckDB's 80 % of RAM.
MEMORY_CAP_MB = 2800


def default_memory_limit() -> str:
    """2.8 GB, or half the machine's memory when that is less."""
    try:
        total_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    except (ValueError, OSError, AttributeError):
        total_mb = 2 * MEMORY_CAP_MB
    return f"{min(MEMORY_CAP_MB, total_mb // 2)}MB"


DEFAULT_MEMORY_LIMIT = default_memory_limit()


# sections other modules read through Config.section(name), with what each key does
SECTION_HELP: dict[str, dict[str, str]] = {
    "alerts": {
        "base_url": "the web app's address for the links in alert messages "
        "(/conversation?msg=KEY, /alerts/ID/ack); default http://127.0.0.1:8000",
        "rules": "the alert rules: a shipped set (default) or a rule YAML file",
        "routing": "a routing YAML file (leads, supervisor, routes with their escalation "
        "ladder, quiet hours, digest channels); without one every alert goes to every channel",
        "digest_at": "HH:MM: when the daily digest of alerts that resolved on their own goes out",
        "channels.NAME": "a channel: type = wecom, dingtalk, feishu, smtp, webhook or file, "
        "with url, secret (or secret_env), format (markdown or text), path (file), host, port, "
        "starttls, username, password_env, from, to (smtp), per_minute, per_second",
    },
    "scheduler": {
        "enabled": "false: no scheduled job runs (the inbox folder still does)",
        "jobs.NAME": "a job: kind = facts, qa, reports or alerts; cron (m h dom mon dow, in "
        "the [time] zone) or every_s; enabled; pack (qa); scheme, plan, folder, months_back "
        "(reports). Defaults: facts_nightly, qa_new_data, monthly_reports, alerts_minute "
        "(kaohe.service.jobs)",
    },
    "inbox": {
        "path": "the folder the server imports dropped files from (relative to the store's "
        "folder); done/ and rejected/ inside it receive the files with their reports",
        "stable_s": "seconds a file's size and mtime must hold before it is imported",
        "poll_s": "seconds between looks at the folder",
        "table, preset, platform, shop": "import options for every file of the folder",
    },
}


@dataclass
class Config:
    db: str = DEFAULT_DB
    zone: str = DEFAULT_ZONE
    memory_limit: str | None = DEFAULT_MEMORY_LIMIT
    lang: str = "zh"
    # kaohe.toml [metrics.params] as written; kaohe.params.resolve_params checks and applies it
    params: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    path: str | None = None

    def section(self, name: str) -> dict[str, Any]:
        value = self.raw.get(name, {})
        return value if isinstance(value, dict) else {}


def parse_value(text: str) -> Any:
    """A `--set` value: TOML scalar syntax when it parses, else the string itself."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_overrides(pairs: Sequence[str]) -> dict[str, Any]:
    """`key=value` texts as a mapping (values typed by parse_value)."""
    overrides: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"应为 key=value，实际为 {pair!r} / --set expects key=value, got {pair!r}",
                field="--set",
            )
        overrides[key.strip()] = parse_value(value.strip())
    return overrides


def load_config(
    path: str | None = None,
    db: str | None = None,
    lang: str | None = None,
) -> Config:
    """Read the config file (explicit path, or ./kaohe.toml when present)."""
    raw: dict[str, Any] = {}
    chosen = path or (DEFAULT_CONFIG if Path(DEFAULT_CONFIG).exists() else None)
    if path and not Path(path).exists():
        raise ConfigError("config file not found", file=path)
    if chosen:
        try:
            raw = tomllib.loads(Path(chosen).read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            found = re.search(r"line (\d+)", str(exc))
            line = int(found.group(1)) if found else None
            raise ConfigError(str(exc), file=chosen, line=line) from None
    store = raw.get("store", {}) if isinstance(raw.get("store"), dict) else {}
    params = (
        dict(raw.get("metrics", {}).get("params", {}))
        if isinstance(raw.get("metrics"), dict)
        else {}
    )
    return Config(
        db=db or os.environ.get("KAOHE_DB") or store.get("db", DEFAULT_DB),
        zone=str(raw.get("time", {}).get("zone", DEFAULT_ZONE))
        if isinstance(raw.get("time"), dict)
        else DEFAULT_ZONE,
        memory_limit=str(
            os.environ.get("KAOHE_MEMORY_LIMIT") or store.get("memory_limit", DEFAULT_MEMORY_LIMIT)
        )
        or None,
        lang=lang or str(raw.get("lang", "zh")),
        params=params,
        raw=raw,
        path=chosen,
    )
