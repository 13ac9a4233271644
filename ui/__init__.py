"""The PySide6 touchscreen KDS (its own issue): a client of the daemon API, never of its database."""
