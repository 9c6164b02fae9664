"""Each person's home: what they must do next, from every capability that has something for them.

A capability adds its part in its AppConfig.ready() with `register_panel(Panel(...))`; the home view knows no
capability. A panel says whom it is for (`applies(user)`), what it shows (`context(request)`, read only when it
applies) and where (`template`, rendered with that context under the name `panel`); panels are shown in `order`.
Everything a panel reads is scoped by the user, as every other page.
"""
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    applies: Callable
    context: Callable
    order: int = 100


_PANELS: dict[str, Panel] = {}


def register_panel(panel):
    _PANELS[panel.name] = panel  # by name: a module imported twice registers once


def panels_for(request):
    """[(panel, its context)] for the request's user, in order."""
    user = request.user
    return [(p, p.context(request)) for p in sorted(_PANELS.values(), key=lambda p: (p.order, p.name))
            if p.applies(user)]
