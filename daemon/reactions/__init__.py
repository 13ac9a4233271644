"""Reactions: what the daemon does because state changed or time passed (the kitchen clock, …)."""
