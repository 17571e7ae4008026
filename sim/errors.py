"""The one exception type that means "the user's input is wrong".

The CLI prints a :class:`UserError` as a single line (``warnsim: error: ...``) and exits with
status 2, without a traceback; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """Bad input: an unknown key, a value out of range, a malformed or missing file."""
