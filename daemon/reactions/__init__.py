"""Reactions: what the daemon does because state changed or time passed, each in a module of its own
(printing and its safety net, the kitchen clock, notification results, …). Effects that must happen once
go through the store's effect journal."""
