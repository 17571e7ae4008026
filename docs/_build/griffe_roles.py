"""A griffe extension for the API reference: the docstrings' Sphinx roles as Markdown code.

warnsim's docstrings name other objects the Sphinx way (``:func:`simulate```, ``:class:`~sim.errors.UserError```);
mkdocstrings renders Markdown, where those roles would show their punctuation. Each role becomes
an inline code span with the name it shows (``~`` keeps the last component, as in Sphinx).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|data|attr|obj|exc|const):`(~?)([^`]+)`")


def _plain(match: re.Match[str]) -> str:
    short, target = match.group(1), match.group(2)
    return f"`{target.rsplit('.', 1)[-1] if short else target}`"


class SphinxRoles(griffe.Extension):
    """Rewrite Sphinx roles in every docstring once the object tree is built."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = ROLE.sub(_plain, obj.docstring.value)
