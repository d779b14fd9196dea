"""Attribution of orders to agents (落实/协助/静默): the sources the sales metrics read."""

from __future__ import annotations
