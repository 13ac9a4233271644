"""The screen's state, fed by the live feed: Qt models that views only draw."""
