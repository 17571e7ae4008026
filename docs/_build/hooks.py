"""MkDocs hooks (mkdocs.yml ``hooks:``): what the site takes from outside docs/.

* the committed results that pages show (figures, Markdown tables, the validation report) are
  added to the site under ``results/`` as they are in the repository, so a page links to them
  with the same relative path the README uses;
* ``<!-- generated: NAME -->`` in a page is replaced by the Markdown that
  :mod:`sim.docgen` generates from the code's declarations (the CLI parser, the parameters,
  outcomes, result columns and file formats), so the reference cannot drift from the code.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ("results/*/figures/*.png", "results/validation/report.md",
           "results/validation/figures/*.png", "results/view/*.png")
MARKER = re.compile(r"^<!-- generated: ([a-z_]+) -->$", re.MULTILINE)


def on_files(files: Files, config: Any) -> Files:
    for pattern in RESULTS:
        for path in sorted(ROOT.glob(pattern)):
            uri = path.relative_to(ROOT).as_posix()
            if files.get_file_from_path(uri) is None:
                files.append(File(uri, src_dir=str(ROOT), dest_dir=config["site_dir"],
                                  use_directory_urls=config["use_directory_urls"]))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    if "<!-- generated: " not in markdown:
        return markdown
    from sim import docgen

    return MARKER.sub(lambda m: docgen.render(m.group(1)), markdown)
