"""Moving events between machines: peer replication and upstream to headquarters (their own issues)."""
