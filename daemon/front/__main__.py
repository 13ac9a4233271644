"""`python -m daemon.front RPC_FD HANDOFF_FD SETTINGS_JSON`: the front process; the core starts it (link.py)."""

from daemon.front.process import main

main()
