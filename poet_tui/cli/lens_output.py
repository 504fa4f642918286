"""How `poet lens` shows what it found: coloured text in the terminal (Rich), its legend, the findings table,
and the `--json` documents. The HTML page is lens_html.py; both take their colours from poet_tui.lens.colours."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text

from poet_tui.cli.output import cli_console, make_table, print_table
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


@dataclass(frozen=True)
class Header:
    model: str
    source: str  # a file name, "validation" or "completion"
    prompt: str = ""

    def describe(self) -> str:
        if self.source == "completion":
            return f"{self.model}, a completion of {self.prompt!r}"
        if self.source == "validation":
            return f"{self.model}, its validation poems"
        return f"{self.model}, {self.source}"


def coloured(text: str, spans: Sequence[tuple[int, int, str]]) -> Text:
    """`text` with each (start, end, background) span styled; a newline is left unstyled so colour never bleeds
    to the terminal's edge."""
    result = Text(text)
    for start, end, background in spans:
        style = f"{readable_text_colour(background)} on {background}"
        position = start
        for piece in text[start:end].split("\n"):
            if piece:
                result.stylize(style, position, position + len(piece))
            position += len(piece) + 1
    return result


def surprisal_legend() -> Text:
    legend = Text("surprisal: ")
    for step in SURPRISAL_STEPS:
        legend.append(f" {step.label} ", style=f"{readable_text_colour(step.colour)} on {step.colour}")
        legend.append(" ")
    return legend


def activation_legend() -> Text:
    legend = Text("activation: ")
    for value, label in ACTIVATION_LEGEND:
        colour = activation_colour(value)
        legend.append(f" {label} ", style=f"{readable_text_colour(colour)} on {colour}")
        legend.append(" ")
    return legend


def written_note(html: str | None) -> str:
    return f"\nWrote {html}" if html is not None else ""


def print_surprisal(header: Header, score: TextScore, html: str | None) -> None:
    console = cli_console()
    console.print(header.describe(), style="bold", markup=False, highlight=False)
    if header.prompt:
        console.print(Text(header.prompt, style="dim"), end="")
    spans = [(token.start, token.end, surprisal_colour(token.surprisal_bits)) for token in score.tokens]
    console.print(coloured(score.text, spans))
    console.print(surprisal_legend())
    console.print(
        f"{score.bits_per_char:.3f} bits/char · {score.mean_surprisal_bits:.3f} bits/token over "
        f"{len(score.tokens):,} tokens{written_note(html)}",
        markup=False,
        highlight=False,
    )


def print_unit(header: Header, text: str, layer: int, unit: int, kind: str, trace: Trace, html: str | None) -> None:
    console = cli_console()
    shown_kind = "tanh(cell)" if kind == "cell" else "hidden"
    console.print(f"{header.describe()}: layer {layer}, unit {unit} ({shown_kind})", style="bold", markup=False)
    console.print(coloured(text, [(start, end, activation_colour(value)) for start, end, value in trace]))
    console.print(activation_legend())
    if html is not None:
        console.print(f"Wrote {html}", markup=False, highlight=False)


def print_findings(header: Header, findings: list[CellFinding], html: str | None) -> None:
    console = cli_console()
    if not findings:
        console.print(
            "No unit varies with any feature over this text; give it a longer text with several lines.",
            markup=False,
        )
        return
    table = make_table(
        f"Units that track the text's features ({header.describe()})",
        [("feature", "name"), ("layer", "number"), ("unit", "number"), ("state", "muted"), ("correlation", "number")],
    )
    for finding in findings:
        table.add_row(
            finding.feature, str(finding.layer), str(finding.unit), finding.kind, f"{finding.correlation:+.3f}"
        )
    note = "Pearson correlation over every token; see one with --cell LAYER:UNIT." + written_note(html)
    print_table(console, table, note)


def surprisal_document(header: Header, score: TextScore, tokens: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "model": header.model,
        "source": header.source,
        "prompt": header.prompt,
        "text": score.text,
        "bits_per_char": score.bits_per_char,
        "mean_surprisal_bits": score.mean_surprisal_bits,
        "total_bits": score.total_bits,
        "characters": score.characters,
        "tokens": tokens,
    }


def unit_document(header: Header, text: str, layer: int, unit: int, kind: str, trace: Trace) -> dict[str, Any]:
    return {
        "model": header.model,
        "source": header.source,
        "layer": layer,
        "unit": unit,
        "state": kind,
        "text": text,
        "tokens": [
            {"text": text[start:end], "start": start, "end": end, "activation": value} for start, end, value in trace
        ],
    }


def findings_document(header: Header, findings: list[CellFinding]) -> dict[str, Any]:
    return {
        "model": header.model,
        "source": header.source,
        "findings": [
            {
                "feature": finding.feature,
                "layer": finding.layer,
                "unit": finding.unit,
                "state": finding.kind,
                "correlation": finding.correlation,
            }
            for finding in findings
        ],
    }


def write_surprisal_page(path: str, header: Header, score: TextScore) -> None:
    from poet_tui.cli.lens_html import surprisal_page, write_page

    write_page(path, surprisal_page(header.describe(), header.prompt, score))


def write_unit_page(path: str, header: Header, text: str, layer: int, unit: int, kind: str, trace: Trace) -> None:
    from poet_tui.cli.lens_html import unit_page, write_page

    write_page(path, unit_page(header.describe(), text, layer, unit, kind, trace))


def write_cells_page(
    path: str, header: Header, text: str, findings: list[CellFinding], best: tuple[CellFinding, Trace] | None
) -> None:
    from poet_tui.cli.lens_html import cells_page, write_page

    write_page(path, cells_page(header.describe(), text, findings, best))
