"""Who hears about an appeal's events. Delivery happens after commit, in the background worker."""


def on_event(event):
    """Hook called for every timeline row; notification delivery is wired here."""
    return None
