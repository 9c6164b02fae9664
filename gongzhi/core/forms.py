"""Form helpers shared by every app's pages."""
from contextlib import contextmanager

from django.contrib import messages
from django.core.exceptions import ValidationError

from .errors import Conflict


@contextmanager
def refusal_as_message(request):
    """For an action form whose page is not drawn again (a button on a record's page, then a redirect): a write
    the service refuses (ValidationError, Conflict) becomes one error message on the next page, and the code
    after the write inside the block (its success message) does not run."""
    try:
        yield
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except Conflict as exc:
        messages.error(request, exc.message)


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
