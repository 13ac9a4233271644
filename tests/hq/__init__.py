"""Tests of heard-hq and of the upstream uploader against it (real processes, real databases)."""
