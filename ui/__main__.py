"""python -m ui: the same as heard-ui."""

from ui.app import main

main()
