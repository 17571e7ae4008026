"""One report, two renderings: Markdown (``report.md``) and a self-contained HTML page
(``report.html``: styles inline, figures embedded as base64 PNG, no external asset, so that it
opens offline and can be mailed as one file).

The report is built once as a list of blocks; each renderer turns the same blocks into its
format, so the two files cannot say different things. Inline text uses a small subset of
Markdown: ``code``, **bold**, *italic* and [links](target).
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str


@dataclass(frozen=True, slots=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...] = ()


@dataclass(frozen=True, slots=True)
class Figure:
    path: Path  # the PNG file (Markdown links it relative to the report; HTML embeds it)
    caption: str
    alt: str


Block = Heading | Paragraph | Bullets | Table | Figure


@dataclass(slots=True)
class Document:
    title: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)


# --- Markdown -------------------------------------------------------------------------------------

def to_markdown(doc: Document, folder: Path) -> str:
    out = [f"# {doc.title}", ""]
    for block in doc.blocks:
        if isinstance(block, Heading):
            out += ["#" * block.level + " " + block.text, ""]
        elif isinstance(block, Paragraph):
            out += [block.text, ""]
        elif isinstance(block, Bullets):
            out += [f"* {item}" for item in block.items] + [""]
        elif isinstance(block, Table):
            out += [*_md_table(block), ""]
        else:
            rel = block.path.relative_to(folder).as_posix()
            out += [f"![{block.alt}]({rel})", "", f"*{block.caption}*", ""]
    return "\n".join(out).rstrip() + "\n"


def _md_table(t: Table) -> list[str]:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    numeric = t.numeric or (False,) * len(t.header)
    lines = ["| " + " | ".join(cell(h) for h in t.header) + " |",
             "| " + " | ".join("---:" if n else ":---" for n in numeric) + " |"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in t.rows]
    return lines


# --- HTML ---------------------------------------------------------------------------------------

STYLE = """
body { font-family: DejaVu Sans, Arial, Helvetica, sans-serif; max-width: 1100px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; font-size: 15px; }
h1 { font-size: 1.7em; } h2 { font-size: 1.35em; margin-top: 1.8em; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.1em; margin-top: 1.4em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 7px; vertical-align: top; }
th { background: #f3f3f3; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.within { background: #e4f3e8; } td.outside { background: #fbe3df; }
td.not_applicable { background: #f0f0f0; color: #555; }
code { background: #f4f4f4; padding: 0 3px; font-size: 0.92em; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 13px; color: #444; font-style: italic; }
"""
VERDICT_WORDS = ("within", "outside", "not_applicable")


def to_html(doc: Document) -> str:
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             f"<title>{html.escape(doc.title)}</title>", f"<style>{STYLE}</style>", "</head>",
             "<body>", f"<h1>{inline_html(doc.title)}</h1>"]
    for block in doc.blocks:
        if isinstance(block, Heading):
            parts.append(f"<h{block.level}>{inline_html(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            parts.append(f"<p>{inline_html(block.text)}</p>")
        elif isinstance(block, Bullets):
            items = "".join(f"<li>{inline_html(i)}</li>" for i in block.items)
            parts.append(f"<ul>{items}</ul>")
        elif isinstance(block, Table):
            parts.append(_html_table(block))
        else:
            data = base64.b64encode(block.path.read_bytes()).decode()
            parts.append(f'<figure><img alt="{html.escape(block.alt)}" '
                         f'src="data:image/png;base64,{data}">'
                         f"<figcaption>{inline_html(block.caption)}</figcaption></figure>")
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _html_table(t: Table) -> str:
    numeric = t.numeric or (False,) * len(t.header)
    head = "".join(f"<th>{inline_html(h)}</th>" for h in t.header)
    body = []
    for row in t.rows:
        cells = []
        for text, num in zip(row, numeric, strict=True):
            classes = [c for c in ("num" if num else "",
                                   text if text in VERDICT_WORDS else "") if c]
            attr = f' class="{" ".join(classes)}"' if classes else ""
            cells.append(f"<td{attr}>{inline_html(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


def inline_html(text: str) -> str:
    """Escape ``text`` and render its inline Markdown (code spans are left literal)."""
    pieces = _CODE.split(text)
    out = []
    for i, piece in enumerate(pieces):
        if i % 2:
            out.append(f"<code>{html.escape(piece)}</code>")
            continue
        s = html.escape(piece, quote=False)
        s = _LINK.sub(lambda m: f'<a href="{html.escape(m.group(2))}">{m.group(1)}</a>', s)
        s = _BOLD.sub(r"<strong>\1</strong>", s)
        s = _ITALIC.sub(r"<em>\1</em>", s)
        out.append(s)
    return "".join(out)
