"""Reactions: side effects of state changes (printing; later the kitchen clock, webhooks, fan-out), each
in a module of its own. Effects that must happen once go through the store's effect journal."""
