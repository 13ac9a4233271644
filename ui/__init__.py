"""The PySide6 touchscreen KDS (its own issue): a client of the daemon API, never of its database."""

import os

# Qt 6 splits large blits and fills across a thread pool of its own. On a kitchen device (two cores, shared
# with the daemon) the screen's blits are small — a card, a clock — and handing them to other threads cost
# more in waking and waiting than the copy itself: with the pool, a third of a frame's time was spent waiting
# on its latch (py-spy, bench/ui_repaint.py). Set before the first paint, which is when Qt reads it.
os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")
