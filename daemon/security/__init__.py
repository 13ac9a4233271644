"""Security: JWT verification, the role policy table, integration tokens."""
