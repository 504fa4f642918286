"""The README.md model card of an export: what the model is, how to load it, what it learnt from, a sample.

The plain-PyTorch snippet lives here once: the card of every export carries it (for its own tokenizer), the
project README shows the same text, and a test runs it from the card, without poet-tui importable. It sits
between SNIPPET_START and SNIPPET_END so the test (and a reader's script) can find it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from poet_tui.errors import PoetError
from poet_tui.exported_model import CARD_FILE, CONFIG_FILE, ONNX_FILE, WEIGHTS_FILE
from poet_tui.formatting import human_duration

SNIPPET_START = "<!-- plain-pytorch-snippet -->"
SNIPPET_END = "<!-- /plain-pytorch-snippet -->"

SNIPPET_LOAD = """\
import json, torch
from torch import nn
from safetensors.torch import load_file

folder = "."  # this folder
config = json.load(open(f"{folder}/config.json", encoding="utf-8"))
m, weights = config["model"], load_file(f"{folder}/model.safetensors")
E, H, V = m["embedding_size"], m["hidden_size"], m["vocab_size"]
net = nn.ModuleDict({
    "embedding": nn.Embedding(V, E),
    "rnn": getattr(nn, m["cell"].upper())(E, H, m["num_layers"], batch_first=True),  # nn.LSTM or nn.GRU
    "projection": nn.Linear(H, E, bias=False) if "projection.weight" in weights else nn.Identity(),
    "decoder": nn.Linear(weights["decoder.weight"].shape[1], V),
})
net.load_state_dict(weights)
"""
SNIPPET_VOCABULARY = """\
vocabulary = json.load(open(f"{folder}/vocabulary.json", encoding="utf-8"))  # a list: index = token id
decode = lambda ids: "".join(vocabulary[i] for i in ids)
"""
SNIPPET_SENTENCEPIECE = """\
import sentencepiece  # pip install sentencepiece
pieces = sentencepiece.SentencePieceProcessor(model_file=f"{folder}/sentencepiece.model")
decode = lambda ids: pieces.decode(ids).replace(config["tokenizer"]["newline_stand_in"], "\\n")
"""
SNIPPET_GENERATE = """\

def step(tokens, state=None):  # tokens (1, time) → the next token's logits, and the state after them
    output, state = net["rnn"](net["embedding"](tokens), state)
    return net["decoder"](net["projection"](output[:, -1])), state

end = config["tokenizer"]["end_of_document_id"]  # <eod>: a poem starts after it and ends with it
torch.manual_seed(0)
token, state, poem = torch.tensor([[end]]), None, []
with torch.no_grad():
    while len(poem) < 300:
        logits, state = step(token, state)
        token = torch.multinomial(torch.softmax(logits / 0.8, dim=-1), 1)
        if token.item() == end:
            break
        poem.append(token.item())
print(decode(poem))
"""


def snippet(tokenizer_kind: str) -> str:
    """The plain-PyTorch code that loads an export of this tokenizer kind and writes a poem with it."""
    decoding = SNIPPET_SENTENCEPIECE if tokenizer_kind == "spm" else SNIPPET_VOCABULARY
    return SNIPPET_LOAD + decoding + SNIPPET_GENERATE


def extract_snippet(card: str) -> str:
    """The Python code between the snippet markers of a README (the fence lines stripped)."""
    start, end = card.find(SNIPPET_START), card.find(SNIPPET_END)
    if start < 0 or end < start:
        raise PoetError("the text has no plain-PyTorch snippet between its markers.")
    lines = card[start + len(SNIPPET_START) : end].strip().splitlines()
    return "\n".join(line for line in lines if not line.startswith("```")) + "\n"


@dataclass(frozen=True)
class CorpusFacts:
    """What is known of the corpus a model trained on: all of it for a bundled one, little for a user's own."""

    name: str
    title: str = ""
    licence: str = ""
    source: str = ""
    description: str = ""


def corpus_facts(corpus: str) -> CorpusFacts:
    """A bundled corpus's manifest entry; a registered one or a file is the user's own, its licence unknown.

    A file's name is kept, never its path: the card travels to other machines."""
    from pathlib import PurePath

    from poet_tui.corpus_registry import find_corpus

    try:
        entry = find_corpus(corpus)
    except PoetError:
        entry = None
    if entry is None:
        return CorpusFacts(PurePath(corpus).name or corpus)
    if not entry.bundled:
        return CorpusFacts(entry.name, entry.title)
    source = entry.extra.get("source") or {}
    where = " ".join(str(source.get(key, "")) for key in ("registry", "package")).strip()
    version = source.get("version")
    return CorpusFacts(
        entry.name,
        entry.title,
        str(entry.extra.get("licence", "")),
        f"{where} {version}".strip() if version else where,
        entry.description,
    )


UNKNOWN_SOURCE = "unknown (the trainer's own corpus, not one bundled with poet-tui)"
UNKNOWN_LICENCE = "unknown: ask whoever made the corpus before sharing text the model writes from it"
TOKENIZER_WORDS = {
    "char": "characters (Unicode code points)",
    "word": "words, punctuation marks and newlines (rarer words are `<unk>`)",
    "spm": "SentencePiece pieces (byte fallback: no text is unknown)",
}
TOKENIZER_FILE_WORDS = {
    "char": "`vocabulary.json`: a JSON list, index = token id",
    "word": "`vocabulary.json`: a JSON list, index = token id (a word carries its leading space)",
    "spm": "`sentencepiece.model`: a SentencePiece model; newlines are the piece `config.json` names as "
    "`newline_stand_in` (U+E000)",
}


def figure(value: Any, digits: int = 3) -> str:
    return "unknown" if value is None else f"{value:.{digits}f}"


def render_card(config: dict[str, Any], corpus: CorpusFacts, training: dict[str, Any], sample: str) -> str:
    """The whole README.md of an export folder, from the config.json it sits beside."""
    model, tokenizer = config["model"], config["tokenizer"]
    kind, cell = tokenizer["kind"], model["cell"].upper()
    projection = model["tied"] and model["hidden_size"] != model["embedding_size"]
    output = model["embedding_size"] if model["tied"] else model["hidden_size"]
    lines = [
        f"# {cell} poetry model: {kind} tokens, trained on {corpus.name}",
        "",
        f"A small recurrent language model ({model['num_layers']} × {model['hidden_size']} {cell}, "
        f"{config['parameters']:,} parameters) over {TOKENIZER_WORDS[kind]}, trained with "
        f"poet-tui {config['poet_tui_version']}. It writes a poem a token "
        "at a time.",
        "",
        "## Files",
        "",
        f"- `{CONFIG_FILE}`: the architecture, the tokenizer and the training figures "
        f"(`format` {config['format']}, `format_version` {config['format_version']})",
        f"- `{WEIGHTS_FILE}`: the weights (float32), named as torch.nn names them",
        f"- {TOKENIZER_FILE_WORDS[kind]}",
        f"- `{CARD_FILE}`: this card",
    ]
    if "onnx" in config:
        lines.append(
            f"- `{ONNX_FILE}`: one step as ONNX: inputs `token` (int64, batch × 1) and the state "
            f"(`hidden`{', `cell`' if model['cell'] == 'lstm' else ''}: float32, layers × batch × hidden); "
            "outputs `logits` (batch × vocabulary) and the new state (`…_out`); checked against PyTorch with "
            "onnxruntime when exported"
        )
    lines += [
        "",
        "## With poet-tui",
        "",
        "```bash",
        "poet generate THIS_FOLDER       # a new poem (--prompt TEXT continues one)",
        "poet generate THIS_FOLDER -i    # a prompt-by-prompt REPL",
        "poet --checkpoint THIS_FOLDER   # the app's REPL",
        "```",
        "",
        "## With plain PyTorch (no poet-tui)",
        "",
        "torch and safetensors are all it needs"
        + (" (and sentencepiece for this tokenizer)." if kind == "spm" else "."),
        "",
        SNIPPET_START,
        "```python",
        snippet(kind).rstrip("\n"),
        "```",
        SNIPPET_END,
        "",
        "## Architecture",
        "",
        f"embedding ({model['vocab_size']:,} × {model['embedding_size']}) → {cell} ({model['num_layers']} layers "
        f"of {model['hidden_size']}) → "
        + (f"projection ({model['hidden_size']} → {model['embedding_size']}) → " if projection else "")
        + f"linear ({output} → {model['vocab_size']:,}). Dropout {model['dropout']:g} (training only). "
        + (
            "The decoder's weight is tied to the embedding: `model.safetensors` stores it anyway (a copy), so a "
            "loader needs no tying."
            if model["tied"]
            else "Weights are not tied."
        ),
        "",
        f"The token `<eod>` (id {tokenizer['end_of_document_id']}) stands before each poem and after it: start "
        "from it to write a new poem, stop at it.",
        "",
        "## Training data",
        "",
        f"- corpus: {corpus.name}" + (f" ({corpus.title})" if corpus.title else ""),
        f"- source: {corpus.source or UNKNOWN_SOURCE}",
        f"- licence: {corpus.licence or UNKNOWN_LICENCE}",
    ]
    if corpus.description:
        lines.append(f"- {corpus.description}")
    lines += training_lines(config, training)
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall("`+", sample)), default=0))  # the sample may hold ```
    lines += [
        "",
        "## Sample",
        "",
        "A new poem (empty prompt), temperature 0.8, seed 0, written when the model was exported:",
        "",
        fence + "text",
        sample.strip("\n") if sample.strip() else "(the model ended the poem at once)",
        fence,
        "",
    ]
    return "\n".join(lines)


def training_lines(config: dict[str, Any], training: dict[str, Any]) -> list[str]:
    elapsed = training.get("elapsed_seconds")
    tokens = training.get("tokens")
    return [
        "",
        "## Training",
        "",
        f"- run `{config['run']}`, checkpoint `{config['checkpoint']}` (step {config['step']:,})",
        f"- trained {training.get('steps', 0):,} steps"
        + (f", {tokens:,} tokens" if tokens else "")
        + (f", {human_duration(elapsed)}" if elapsed else "")
        + (f" on {training['device']}" if training.get("device") else ""),
        f"- validation loss of this checkpoint: {figure(config.get('val_loss'))} nats/token, "
        f"{figure(config.get('val_bpc'))} bits/char",
        f"- best validation of the run: {figure(training.get('best_val_loss'))} nats/token, "
        f"{figure(training.get('best_val_bpc'))} bits/char (bits per character of the validation text: the "
        "figure that compares tokenizers)",
    ]
