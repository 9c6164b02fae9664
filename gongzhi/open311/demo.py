"""Open311's share of the Xincheng demo (gongzhi/core/demo.py): the demo client and its published key,
demo-open311-key."""
from .services import ensure_demo_key


def load_open311(plan):
    ensure_demo_key()
    return {}
