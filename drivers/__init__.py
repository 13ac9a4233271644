"""Hardware behind small interfaces: printers and bump bars (their own issue)."""
