"""Quality inspection (质检): rule packs and text detectors, findings, manual review."""
