"""SQLite storage: the event log, projections and the single group-committing writer."""
