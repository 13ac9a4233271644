"""Bump bars on the daemon: each station's selection (which ticket and item a bar's keys act on), the
actions that change it or a ticket, and the bars the daemon reads (evdev and serial; keyboard-wedge
bars arrive from the screen through the API). docs/bumpbars.md explains why the daemon owns them."""
