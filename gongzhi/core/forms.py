"""Form helpers shared by every app's pages."""
from django.core.exceptions import ValidationError


def add_service_errors(form, exc: ValidationError, rename=None):
    """Show a service's ValidationError on the form, each message on its field where it has one. `rename` maps a
    service's field to the form's that shows it (the form's field when it has one, else the service's)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        target = (rename or {}).get(field, field)
        if target not in form.fields:
            target = field if field in form.fields else None
        form.add_error(target, errors)
