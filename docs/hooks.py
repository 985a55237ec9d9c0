"""MkDocs hook: render the Sphinx roles the docstrings use (``:class:`Term```) as plain code."""

import re

_ROLE = re.compile(r":(?:class|func|mod|meth|attr|data|obj|exc):(<code>)")


def on_page_content(html, **_):
    return _ROLE.sub(r"\1", html)
