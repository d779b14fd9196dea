"""Online-time metrics from agent_status (spec: metrics.md, "Online time")."""

from __future__ import annotations
