"""Small Sphinx fixes for the genolearn book (loaded from _config.yml: sphinx.local_extensions).

* sphinx-thebe 0.3.1 registers its inline configuration script a second time on pages that the
  jupyter-cache re-reads, so browsers report "Identifier 'THEBE_JS_URL' has already been
  declared": keep one copy of each identical script in each page's context.
* Solutions in the source notebooks sit between ``# BEGIN SOLUTION <id>`` and ``# END SOLUTION``
  markers (for ``genolearn release``); the book shows the code without the marker lines.
* sphinx-book-theme passes an empty ``default_mode`` to the pydata theme's page template, which
  then logs "Got invalid theme mode" in the console on every page: default to ``"auto"``.
"""

from __future__ import annotations

import re

from docutils import nodes

_MARKER = re.compile(r"^[ \t]*# (BEGIN SOLUTION( \S+)?|END SOLUTION)[ \t]*\n?", re.M)


def _strip_solution_markers(app, doctree):
    for block in doctree.findall(nodes.literal_block):
        text = block.astext()
        if "# BEGIN SOLUTION" not in text and "# END SOLUTION" not in text:
            continue
        cleaned = _MARKER.sub("", text)
        block.children = [nodes.Text(cleaned)]
        if "rawsource" in block.__dict__:
            block.rawsource = cleaned


def _script_key(js) -> tuple:
    # The same inline script is registered once with filename None and once with "".
    attrs = getattr(js, "attributes", None) or {}
    filename = getattr(js, "filename", js) or ""
    return (str(filename), tuple(sorted((k, str(v)) for k, v in attrs.items())))


def _fix_page_context(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if scripts:
        seen = set()
        unique = []
        for js in scripts:
            key = _script_key(js)
            if key not in seen:
                seen.add(key)
                unique.append(js)
        context["script_files"] = unique
    if not context.get("default_mode"):
        context["default_mode"] = "auto"


def setup(app):
    app.connect("doctree-read", _strip_solution_markers)
    app.connect("html-page-context", _fix_page_context, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
