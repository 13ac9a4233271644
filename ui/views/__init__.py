"""The screen's views: they draw the models and turn taps and keys into the session's actions."""
