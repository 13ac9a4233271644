"""Reactions: what the daemon does because state changed or time passed, each in a module of its own
(the kitchen clock, notification results, …)."""
