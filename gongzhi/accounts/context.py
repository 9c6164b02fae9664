from .policy import scope_of


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"gz_scope": scope_of(user)}
