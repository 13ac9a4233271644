"""Bump bars of any make: a key map (key → action) and three sources that deliver the same actions —
keyboard-wedge bars (key events of the screen), evdev input devices with an exclusive grab, and serial
bars. Nothing here imports the daemon; the daemon (and the screen, for wedge bars) hand in a callback.
"""
