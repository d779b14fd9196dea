"""The `[alerts]` section of kaohe.toml, validated: the rule set, the routing file, the base
URL of the web app (for the links in messages), the daily digest's time and the channels.

    [alerts]
    base_url = "https://kaohe.example.com"   # links: /conversation?msg=KEY, /alerts/ID/ack
    rules = "default"                         # a shipped rule set, or a YAML file
    routing = "alert-routing.yaml"            # who hears of what; without it: every channel
    digest_at = "09:00"                       # the daily digest of self-resolved alerts

    [alerts.channels.cs_lead]
    type = "wecom"
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kaohe.alerts.channels import Channel, ChannelConfig, make_channel
from kaohe.alerts.model import Route, Routing, RuleFile, Step, suggest
from kaohe.config import SECTION_HELP
from kaohe.errors import ConfigError

HELP = SECTION_HELP["alerts"]  # the [alerts] keys and what they do (kaohe.config)


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str = "http://127.0.0.1:8000"
    rules: str = "default"
    routing: str | None = None
    digest_at: str = Field("09:00", pattern=r"^\d{1,2}:\d{2}$")
    channels: dict[str, ChannelConfig] = Field(default_factory=dict)

    @field_validator("base_url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not re.match(r"^https?://", value):
            raise ValueError("base_url must start with http:// or https://")
        return value


@dataclass
class Setup:
    """Everything an evaluation needs besides the store and the clock."""

    rules: RuleFile
    routing: Routing | None
    channels: dict[str, Channel] = field(default_factory=dict)
    base_url: str = "http://127.0.0.1:8000"
    digest_at: str = "09:00"
    overrides: dict[str, Any] = field(default_factory=dict)


def parse_settings(section: Mapping[str, Any], file: str | None = None) -> Settings:
    try:
        return Settings.model_validate(dict(section))
    except ValidationError as exc:
        err = exc.errors()[0]
        where = "alerts." + ".".join(str(p) for p in err["loc"])
        hint = suggest(str(err["loc"][-1]), [*HELP, *ChannelConfig.model_fields])
        raise ConfigError(
            f"{err['msg']}{hint if err['type'] == 'extra_forbidden' else ''}",
            file=file,
            field=where,
        ) from None


def every_channel(channels: Mapping[str, Channel]) -> Routing | None:
    """The routing without a routing file: every alert to every channel, no ladder."""
    if not channels:
        return None
    return Routing(id="every_channel", routes=[Route(ladder=[Step(to=list(channels))])])


def make_setup(
    settings: Settings,
    overrides: Mapping[str, Any] | None = None,
) -> Setup:
    from kaohe.alerts.load import load_routing, load_rules

    channels = {name: make_channel(name, cfg) for name, cfg in settings.channels.items()}
    routing = (
        load_routing(settings.routing, channels) if settings.routing else every_channel(channels)
    )
    return Setup(
        load_rules(settings.rules),
        routing,
        channels,
        settings.base_url,
        settings.digest_at,
        dict(overrides or {}),
    )


def setup_from_config(config: Any, overrides: Mapping[str, Any] | None = None) -> Setup:
    """The alerts setup of a kaohe.config.Config's [alerts] section; `overrides` are the
    metric parameters as the caller resolved them (kaohe.toml [metrics.params], --set)."""
    return make_setup(parse_settings(config.section("alerts"), config.path), overrides)
