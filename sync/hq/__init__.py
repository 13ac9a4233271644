"""heard-hq: the reference headquarters service (uploads from every device, reports)."""
