"""The one exception type for bad input, and how a message shows what the user typed."""

SHOWN_CHARACTERS = 40       # longest piece of user input echoed in an error message


class InputError(ValueError):
    """Bad input from the user, reported as one line that names the field and what is allowed.

    The command line prints ``str(error)`` and exits with code 2; no traceback is shown.
    """


def shown(value: object, limit: int = SHOWN_CHARACTERS, quoted: bool = True) -> str:
    """``repr(value)`` (or ``str`` if not ``quoted``), cut short with its length when long."""
    text = repr(value) if quoted else str(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"
