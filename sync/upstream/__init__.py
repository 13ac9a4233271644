"""Upstream: this device uploads its log to headquarters (the log is the outbox)."""
