"""The one exception type that reaches a user as a sentence instead of a traceback."""


class PoetError(Exception):
    """Bad input or a state the user can fix: the message says what is wrong and what to do.

    The CLI prints it as one line and exits with code 2; the app shows it in a notification.
    """


def did_you_mean(name: str, known: list[str]) -> str:
    """` Did you mean 'sonnets'?` for the known name closest to a mistyped one, or "" when none is close (a
    sentence to put in the error, so a typo costs one glance, not a listing to read)."""
    import difflib

    close = difflib.get_close_matches(name.strip(), known, n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""
