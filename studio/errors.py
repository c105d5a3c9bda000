"""The one exception type users see: a clear, one-line message."""


class StudioError(Exception):
    """An error caused by the user's input or the studio's state, not a bug.

    The CLI prints it on one line to stderr and exits 1; widgets show it.
    """
