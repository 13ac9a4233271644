"""Reactions: side effects of committed state changes (printing, notification results, …), each in a
module of its own. Effects that must happen once go through the store's effect journal."""
