"""`python -m daemon` is heard-daemon."""

from daemon.entry import main

main()
