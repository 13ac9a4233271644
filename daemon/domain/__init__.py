"""The pure domain: entities, events, commands and the fold. No I/O, no clock, no logging."""
