"""`poet lens MODEL`: look inside a trained model. Colour a text by the model's surprisal at each token (with
its bits/char), or by one hidden unit's activation (Karpathy's red/blue view), or list the units that best track
simple features of the text; in the terminal (Rich) or as one self-contained HTML page to share."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, get_args

from poet_tui.cli.main import DEVICE_HELP, EXIT_OK
from poet_tui.errors import PoetError
from poet_tui.options import Device

if TYPE_CHECKING:
    from poet_tui.generation import LoadedModel
    from poet_tui.lens.scoring import TextScore, TokenScore

LENS_HELP = "colour a text by the model's surprisal or a hidden unit, or find the units that track its features"
LENS_DESCRIPTION = (
    "Look inside a trained model. By default, colour a text by how surprised the model is at each token (a legend "
    "and bits/char under it); --cell L:N colours it by one unit's activation instead (red positive, blue negative); "
    "--find-cells lists the units whose activations best track simple features of the text (position in the line, "
    "characters to its end, quotes, brackets, punctuation, line of the poem). The text is --text FILE, a completion "
    "of --prompt TEXT, or (the default) the run's validation poems."
)
MAX_TOP = 100
# Alternatives kept for --json or --html (characters × --top): each is a few Python objects and a JSON record.
MAX_KEPT_ALTERNATIVES = 4_000_000
BYTES_PER_CHARACTER = 4  # UTF-8's most: a file larger than this many bytes a character is too long unread


def add_lens_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "model", metavar="RUN_OR_CHECKPOINT", help="a run name, run folder, checkpoint file or export folder"
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--text", metavar="FILE", help="a UTF-8 text file: a poem, or poems two blank lines apart")
    source.add_argument("--prompt", metavar="TEXT", help="generate a completion of TEXT and look at it")
    source.add_argument(
        "--validation", action="store_true", help="the run's validation poems, held out from training (the default)"
    )
    view = parser.add_mutually_exclusive_group()
    view.add_argument("--surprisal", action="store_true", help="colour by surprisal in bits (the default)")
    view.add_argument("--cell", metavar="L:N", help="colour by unit N of layer L (both from 0)")
    view.add_argument("--find-cells", action="store_true", help="list the units that best track each feature")
    parser.add_argument("--layer", type=int, metavar="L", help="with --find-cells: only this layer (default: all)")
    parser.add_argument("--top", type=int, default=3, metavar="K", help="units per feature, or alternatives per token")
    parser.add_argument(
        "--state",
        choices=("cell", "hidden"),
        help="which state a unit is read from: an LSTM's cell c (default) or hidden h (a GRU has only h)",
    )
    parser.add_argument("--html", metavar="OUT", help="also write a self-contained HTML page to the file OUT")
    parser.add_argument("--device", choices=get_args(Device), help=DEVICE_HELP)
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout instead of coloured text")
    parser.add_argument("--seed", type=int, help="with --prompt: same seed, same completion")
    parser.add_argument("--temperature", type=float, default=0.8, help="with --prompt: 0 is greedy (default 0.8)")
    parser.add_argument("--length", type=int, default=200, help="with --prompt: most tokens to generate (default 200)")


@dataclass
class LensText:
    """The text looked at; for a completion, its prompt and the exact ids (scored after the prompt's ids)."""

    text: str
    source: str
    prompt: str = ""
    context_ids: list[int] | None = None
    completion_ids: list[int] | None = None


def parse_cell(value: str) -> tuple[int, int]:
    layer, separator, unit = value.partition(":")
    try:
        if separator != ":":
            raise ValueError
        return int(layer), int(unit)
    except ValueError:
        raise PoetError(f"--cell takes LAYER:UNIT, two whole numbers such as 0:17, not {value[:40]!r}.") from None


def check_arguments(arguments: argparse.Namespace) -> None:
    """Refuse what can be refused before a model is loaded."""
    if not 1 <= arguments.top <= MAX_TOP:
        raise PoetError(f"--top must be between 1 and {MAX_TOP}, not {arguments.top}.")
    if arguments.cell is not None:
        parse_cell(arguments.cell)
    if arguments.layer is not None and not arguments.find_cells:
        raise PoetError("--layer chooses the layer --find-cells searches; with --cell the layer is in L:N.")
    if arguments.html is not None:
        from poet_tui.cli.lens_html import check_html_target

        check_html_target(arguments.html, arguments.text)
    if arguments.prompt is None and (arguments.seed is not None or arguments.length != 200):
        raise PoetError("--seed and --length shape a completion; give them with --prompt TEXT.")


def read_lens_file(name: str) -> str:
    """The --text file, refused in one sentence if it is a folder, empty or longer than the lens reads (a file
    too large is refused by its size, before it is read)."""
    from poet_tui.corpus_reading import expand_user_path, read_text_file, shown
    from poet_tui.lens.lens_text import MAX_LENS_CHARACTERS

    path = expand_user_path(name)
    if path.is_dir():
        raise PoetError(f"--text {shown(name)} is a folder; give a text file with a poem or a few poems.")
    too_long = (
        f"the lens reads at most {MAX_LENS_CHARACTERS:,} characters, so give it a part of the text (or use "
        "--validation for the run's own)."
    )
    if path.suffix != ".gz" and path.is_file() and path.stat().st_size > BYTES_PER_CHARACTER * MAX_LENS_CHARACTERS:
        raise PoetError(f"{shown(name)} is {path.stat().st_size:,} bytes; {too_long}")
    text = read_text_file(path)
    if not text.strip():
        raise PoetError(f"{shown(name)} holds no text; give it a poem or a few lines to look at.")
    if len(text) > MAX_LENS_CHARACTERS:
        raise PoetError(f"{shown(name)} has {len(text):,} characters; {too_long}")
    return text


def completion_text(loaded: LoadedModel, arguments: argparse.Namespace) -> LensText:
    """Generate a completion of --prompt, keeping its exact ids."""
    from poet_tui.sample import CompletionStats, SamplingSettings, prompt_token_ids, stream_completion

    settings = SamplingSettings(
        temperature=arguments.temperature, max_tokens=arguments.length, seed=arguments.seed, stop_at_end_of_poem=True
    )
    settings.validate()
    context_ids = prompt_token_ids(loaded.tokenizer, arguments.prompt)
    stats = CompletionStats()
    completion = "".join(stream_completion(loaded.model, loaded.tokenizer, arguments.prompt, settings, stats))
    return LensText(completion, "completion", arguments.prompt, context_ids, list(stats.token_ids))


def lens_text(loaded: LoadedModel, arguments: argparse.Namespace) -> LensText:
    if arguments.text is not None:
        return LensText(read_lens_file(arguments.text), arguments.text)
    if arguments.prompt is not None:
        return completion_text(loaded, arguments)
    from poet_tui.lens.lens_text import MAX_LENS_CHARACTERS, NoValidationText, lens_text_for

    try:
        return LensText(lens_text_for(loaded, MAX_LENS_CHARACTERS), "validation")
    except NoValidationText as error:
        raise PoetError(f"{error.reason}; pass --text FILE (a poem or a file of poems) instead.") from None


def alternatives_kept(arguments: argparse.Namespace, source: LensText) -> int:
    """--top for a view that shows the alternatives (--json, --html), 0 for the terminal's, which never does;
    refused in one sentence when characters × --top is more than the lens holds."""
    if not arguments.json and arguments.html is None:
        return 0
    kept = len(source.text) * arguments.top
    if kept > MAX_KEPT_ALTERNATIVES:
        raise PoetError(
            f"--top {arguments.top} over {len(source.text):,} characters keeps {kept:,} alternatives, more than the "
            f"{MAX_KEPT_ALTERNATIVES:,} the lens holds; give a smaller --top or a shorter text."
        )
    return arguments.top


def score(loaded: LoadedModel, source: LensText, top: int) -> TextScore:
    from poet_tui.lens.scoring import score_text, score_token_ids, scored_text

    if source.context_ids is None or source.completion_ids is None:
        return score_text(loaded.model, loaded.tokenizer, source.text, top_k=top)
    tokens = score_token_ids(loaded.model, loaded.tokenizer, source.context_ids, source.completion_ids, top)
    return scored_text(source.text, tokens, loaded.tokenizer.end_of_document_id)


def token_document(token: TokenScore) -> dict[str, Any]:
    return {
        "text": token.text,
        "start": token.start,
        "end": token.end,
        "token_id": token.token_id,
        "probability": token.probability,
        "surprisal_bits": token.surprisal_bits,
        "alternatives": [
            {"text": item.text, "token_id": item.token_id, "probability": item.probability}
            for item in token.alternatives
        ],
    }


def lens_command(arguments: argparse.Namespace) -> int:
    from poet_tui.cli import lens_output
    from poet_tui.cli.json_output import print_json
    from poet_tui.generation import load_for_generation

    check_arguments(arguments)
    loaded = load_for_generation(arguments.model, device=arguments.device or "auto")
    model = loaded.model
    kind = arguments.state or ("cell" if model.config.cell == "lstm" else "hidden")
    from poet_tui.lens.activations import check_kind, check_layer

    check_kind(model, kind)
    if arguments.layer is not None:
        check_layer(model, arguments.layer)
    cell = parse_cell(arguments.cell) if arguments.cell is not None else None
    if cell is not None:
        check_layer(model, cell[0])
        if not 0 <= cell[1] < model.config.hidden_size:
            raise PoetError(
                f"unit {cell[1]} does not exist: layer {cell[0]} has units 0 to {model.config.hidden_size - 1}."
            )
    source = lens_text(loaded, arguments)
    if not source.text and not source.completion_ids:
        raise PoetError("there is no text to look at; give --text FILE with a poem in it.")
    header = lens_output.Header(loaded.label, source.source, source.prompt)
    if arguments.find_cells:
        from poet_tui.lens.cells import find_cells, unit_trace

        layers = None if arguments.layer is None else [arguments.layer]
        findings = find_cells(model, loaded.tokenizer, source.text, layers=layers, top=arguments.top, kind=kind)
        trace = None
        if findings:
            best = max(findings, key=lambda finding: abs(finding.correlation))
            trace = (best, unit_trace(model, loaded.tokenizer, source.text, best.layer, best.unit, kind))
        if arguments.html is not None:
            lens_output.write_cells_page(arguments.html, header, source.text, findings, trace)
        if arguments.json:
            print_json(lens_output.findings_document(header, findings))
        else:
            lens_output.print_findings(header, findings, arguments.html)
    elif cell is not None:
        from poet_tui.lens.cells import unit_trace

        layer, unit = cell
        trace_values = unit_trace(model, loaded.tokenizer, source.text, layer, unit, kind)
        if arguments.html is not None:
            lens_output.write_unit_page(arguments.html, header, source.text, layer, unit, kind, trace_values)
        if arguments.json:
            print_json(lens_output.unit_document(header, source.text, layer, unit, kind, trace_values))
        else:
            lens_output.print_unit(header, source.text, layer, unit, kind, trace_values, arguments.html)
    else:
        text_score = score(loaded, source, alternatives_kept(arguments, source))
        if arguments.html is not None:
            lens_output.write_surprisal_page(arguments.html, header, text_score)
        if arguments.json:
            print_json(
                lens_output.surprisal_document(header, text_score, [token_document(t) for t in text_score.tokens])
            )
        else:
            lens_output.print_surprisal(header, text_score, arguments.html)
    return EXIT_OK
