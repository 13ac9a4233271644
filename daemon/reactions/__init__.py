"""Reactions: side effects of committed state changes, each in a module of its own."""
