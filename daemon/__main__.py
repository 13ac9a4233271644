"""`python -m daemon` is heard-daemon."""

from daemon.main import main

main()
