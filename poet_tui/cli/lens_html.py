"""`poet lens --html OUT`: one self-contained page to share. Inline CSS, no script and nothing fetched from the
net; every piece of text (the poem, token texts, titles, the model's name) is HTML-escaped, so a hostile text
shows as text. Hovering a token shows its probability and alternatives (or its activation). The file the user
named is written atomically; a folder, a missing folder and the --text file itself are refused."""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from poet_tui.errors import PoetError
from poet_tui.lens.colours import (
    ACTIVATION_LEGEND,
    SURPRISAL_STEPS,
    activation_colour,
    readable_text_colour,
    surprisal_colour,
)

if TYPE_CHECKING:
    from poet_tui.lens.cells import CellFinding
    from poet_tui.lens.scoring import TextScore

Trace = list[tuple[int, int, float]]

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; background: #fff; }
pre.lens { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 15px; line-height: 1.5;
           white-space: pre-wrap; border: 1px solid #ddd; padding: 1em; }
pre.lens span { border-radius: 2px; }
.legend span { display: inline-block; padding: 0 0.6em; margin-right: 0.3em; font-family: monospace; }
.prompt { color: #888; }
table { border-collapse: collapse; } td, th { padding: 0.2em 0.8em; text-align: right; }
td:first-child, th:first-child { text-align: left; }
"""


def html_target(name: str) -> Path:
    """The file the page goes to: OUT, or the file OUT links to (written, not the link replaced)."""
    from poet_tui.corpus_reading import expand_user_path

    path = expand_user_path(name)
    return Path(os.path.realpath(path)) if os.path.islink(path) else path


def check_html_target(name: str, text_file: str | None = None) -> None:
    """Refuse, before any work is done, an OUT that is a folder, whose folder does not exist (a link's target's
    folder included: no folder is ever made) or cannot be written, or that is the --text file being read."""
    from poet_tui.corpus_reading import expand_user_path, shown

    if not name.strip():
        raise PoetError("--html needs a file name to write the page to, e.g. --html lens.html.")
    path = html_target(name)
    if path.is_dir():
        raise PoetError(
            f"--html {shown(name)} is a folder; give a file name for the page, e.g. {shown(name)}/lens.html."
        )
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise PoetError(f"the folder of --html {shown(name)} does not exist; create it or write the page elsewhere.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PoetError(f"the folder of --html {shown(name)} cannot be written to; write the page elsewhere.")
    if text_file is not None and path.exists():
        text_path = expand_user_path(text_file)
        if text_path.exists() and os.path.samefile(path, text_path):
            raise PoetError(
                f"--html {shown(name)} is the --text file being read; give the page a name of its own, e.g. lens.html."
            )


def write_page(name: str, page: str) -> None:
    """Write the page atomically, in one sentence if the disk refuses (full, read-only, gone meanwhile)."""
    from poet_tui.atomic import atomic_write_text
    from poet_tui.corpus_reading import shown
    from poet_tui.safe_files import describe_os_error

    check_html_target(name)
    try:
        atomic_write_text(html_target(name), page)
    except OSError as error:
        raise PoetError(
            f"the page could not be written to {shown(name)} ({describe_os_error(error)}); "
            "check the folder and the free space, or write it elsewhere."
        ) from None


def escaped(text: str) -> str:
    return html.escape(text, quote=True)


def span(text: str, background: str, title: str) -> str:
    colour = readable_text_colour(background)
    return f'<span style="background:{background};color:{colour}" title="{escaped(title)}">{escaped(text)}</span>'


def document(title: str, body: Sequence[str]) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escaped(title)}</title>",
            f"<style>{STYLE}</style>",
            "</head><body>",
            f"<h1>poet lens</h1><p>{escaped(title)}</p>",
            *body,
            "<p><small>Made by poet-tui's lens.</small></p>",
            "</body></html>",
            "",
        ]
    )


def coloured_text(text: str, pieces: Sequence[tuple[int, int, str, str]]) -> str:
    """The text with each (start, end, background, title) piece as a span; characters no token covers stay plain."""
    parts: list[str] = []
    position = 0
    for start, end, background, title in pieces:
        if start > position:
            parts.append(escaped(text[position:start]))
        if end > start:
            parts.append(span(text[start:end], background, title))
        position = max(position, end)
    parts.append(escaped(text[position:]))
    return "".join(parts)


def surprisal_page(title: str, prompt: str, score: TextScore) -> str:
    pieces = []
    for token in score.tokens:
        alternatives = ", ".join(f"{item.text!r} {item.probability:.3f}" for item in token.alternatives)
        hover = f"p = {token.probability:.4f} · {token.surprisal_bits:.2f} bits\nalternatives: {alternatives}"
        pieces.append((token.start, token.end, surprisal_colour(token.surprisal_bits), hover))
    legend = "".join(span(step.label, step.colour, f"surprisal {step.label}") for step in SURPRISAL_STEPS)
    prompt_part = f'<span class="prompt">{escaped(prompt)}</span>' if prompt else ""
    return document(
        title,
        [
            f'<p class="legend">surprisal: {legend}</p>',
            f'<pre class="lens">{prompt_part}{coloured_text(score.text, pieces)}</pre>',
            f"<p>{score.bits_per_char:.3f} bits/char · {score.mean_surprisal_bits:.3f} bits/token over "
            f"{len(score.tokens):,} tokens</p>",
        ],
    )


def unit_view(text: str, layer: int, unit: int, kind: str, trace: Trace) -> list[str]:
    shown_kind = "tanh(cell)" if kind == "cell" else "hidden"
    pieces = [(start, end, activation_colour(value), f"{shown_kind} = {value:+.3f}") for start, end, value in trace]
    legend = "".join(span(label, activation_colour(value), f"activation {label}") for value, label in ACTIVATION_LEGEND)
    return [
        f"<h2>Layer {layer}, unit {unit} ({escaped(shown_kind)})</h2>",
        f'<p class="legend">activation: {legend}</p>',
        f'<pre class="lens">{coloured_text(text, pieces)}</pre>',
    ]


def unit_page(title: str, text: str, layer: int, unit: int, kind: str, trace: Trace) -> str:
    return document(title, unit_view(text, layer, unit, kind, trace))


def cells_page(title: str, text: str, findings: Sequence[CellFinding], best: tuple[CellFinding, Trace] | None) -> str:
    rows = "".join(
        f"<tr><td>{escaped(f.feature)}</td><td>{f.layer}</td><td>{f.unit}</td><td>{escaped(f.kind)}</td>"
        f"<td>{f.correlation:+.3f}</td></tr>"
        for f in findings
    )
    body = [
        "<h2>Units that track the text's features</h2>",
        f"<table><tr><th>feature</th><th>layer</th><th>unit</th><th>state</th><th>correlation</th></tr>{rows}</table>",
    ]
    if best is not None:
        finding, trace = best
        body.append(f"<p>The strongest: {escaped(finding.feature)}, r = {finding.correlation:+.3f}.</p>")
        body.extend(unit_view(text, finding.layer, finding.unit, finding.kind, trace))
    return document(title, body)
