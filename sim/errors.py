"""The one exception type for bad input: a config, a parameter, a data file."""


class InputError(ValueError):
    """Bad input from the user, reported as one line that names the field and what is allowed.

    The command line prints ``str(error)`` and exits with code 2; no traceback is shown.
    """
