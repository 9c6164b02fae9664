class AppealError(Exception):
    """A refused action; `status` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = str(message)
        self.field = field


class Conflict(AppealError):
    status = 409


class NotAllowed(AppealError):
    status = 403
