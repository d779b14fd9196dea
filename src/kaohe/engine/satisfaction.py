"""Satisfaction metrics (spec: metrics.md, "Satisfaction")."""

from __future__ import annotations
