"""The screen's sounds, and the script that synthesises them."""
