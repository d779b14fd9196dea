"""CLI commands: each module exposes `command`, a click command registered by kaohe.cli."""
