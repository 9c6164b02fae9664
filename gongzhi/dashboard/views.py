"""The home page: the public landing page for visitors, each signed-in person's home for everyone else."""
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from .homes import panels_for


@never_cache
def home(request):
    if not request.user.is_authenticated:
        return render(request, "dashboard/landing.html")
    panels = panels_for(request)
    return render(request, "dashboard/home.html", {"panels": panels})
