"""The one exception type that reaches a user as a sentence instead of a traceback."""


class PoetError(Exception):
    """Bad input or a state the user can fix: the message says what is wrong and what to do.

    The CLI prints it as one line and exits with code 2; the app shows it in a notification.
    """
