"""placeholder"""


def load_lists(plan):
    return {}
