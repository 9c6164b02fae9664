"""Deliberation in Xincheng for the demo (filled in below)."""


def load_deliberation(plan):
    return {}
