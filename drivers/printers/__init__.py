"""Kitchen printers: chit layout (a printer-neutral description → styled lines → ESC/POS bytes), one
connection interface over network, USB, serial and file printers, and an emulator that behaves like one.

Nothing here imports the daemon: a chit arrives as a plain dict (the effect journal's payload), so the
same layout serves a reprint years later and a test without a store.
"""
