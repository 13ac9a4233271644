"""Heard daemon: the kitchen APIs, the event log, replication hooks and reactors of one kitchen device."""
