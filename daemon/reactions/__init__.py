"""Reactions: side effects of state changes (printing, the kitchen clock, webhooks, fan-out), one module each."""
