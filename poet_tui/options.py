"""Every setting of a run, declared once: its type, default, range, help and the names each surface calls it by.

`poet train`'s flags and `--help`, the Train form's fields, `run.toml`, validation sentences and the training
child's argv are all generated from `OPTIONS` (the shape of harlequin's options.py). No torch and no textual here,
so the app's first frame never pays for either."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, get_args

from poet_tui.model_size import MAX_LAYERS, MAX_VOCAB, MAX_WIDTH
from poet_tui.sampling_settings import MAX_LENGTH, MAX_SEED, SEED_RANGE, is_finite

TokenizerKind = Literal["char", "word", "spm"]
SpmModel = Literal["bpe", "unigram"]
Cell = Literal["lstm", "gru"]
Schedule = Literal["cosine", "plateau", "constant"]
Device = Literal["auto", "cpu", "cuda"]
Precision = Literal["auto", "bf16", "fp32"]
OptionKind = Literal["int", "number", "bool", "text", "choice"]
Section = Literal["", "tokenizer", "model", "training"]

SPM_MIN_VOCAB = 320  # 256 byte-fallback pieces, the specials, and room for real pieces (tokenizers.py enforces it)
MAX_BATCH_SIZE = 65_536
MAX_BPTT = 65_536
MAX_INT = 2**63 - 1  # TOML's integers are 64-bit: a run.toml could not hold more
MISSING: Any = object()

DEFAULT_BUDGET_MINUTES = 10.0  # a run given no budget at all stops after this long (train.py applies it)

# The groups, in the order `--help` and the form show them.
GROUPS: dict[str, str] = {
    "run": "What to train on",
    "tokenizer": "Tokenizer",
    "model": "Model",
    "training": "Training",
    "budget": f"Budget (the first reached ends the run; none given: {DEFAULT_BUDGET_MINUTES:g} minutes)",
}


def shown(value: Any) -> str:
    """A value as a sentence quotes it: TOML's true/false, strings quoted, long values cut."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def plain_number(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


@dataclass(frozen=True)
class Option:
    """One setting: where it lives in `RunConfig`, what it accepts, and what each surface calls it."""

    section: Section  # the RunConfig part that holds it; "" for RunConfig itself
    name: str  # the field name, also the key in run.toml
    kind: OptionKind
    default: Any
    help: str = ""
    flag: str | None = None  # the `poet train` option; None: recorded in run.toml only, set by the engine
    label: str = ""  # the form's short label (the grid column is 10 wide)
    words: str = ""  # what a sentence shown in the form calls it; the label when empty
    group: str = "training"  # a key of GROUPS
    advanced: bool = False  # the form keeps it in the collapsed "Advanced" section
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # the low end is excluded: "positive" rather than "at least 0"
    high_open: bool = False  # the high end is excluded: a dropout of 1 drops everything
    choices: tuple[str, ...] = ()
    optional: bool = False  # None means "not set"
    wording: str = ""  # the whole range as one phrase, said whichever end was missed
    auto_setting: str = ""  # typing "auto" turns on this bool setting of the same section instead
    applies_when: tuple[str, tuple[str, ...]] | None = None  # (setting key, values): greyed out in the form otherwise

    @property
    def key(self) -> str:
        """`training.learning_rate`, or `seed` for a top-level setting: one name for a setting across surfaces."""
        return f"{self.section}.{self.name}" if self.section else self.name

    @property
    def dest(self) -> str:
        """The attribute argparse stores the flag under (`--eval-every` → `eval_every`)."""
        assert self.flag is not None
        return self.flag.removeprefix("--").replace("-", "_")

    @property
    def toml_name(self) -> str:
        return f"[{self.section}] {self.name}" if self.section else self.name

    @property
    def flag_name(self) -> str:
        """What the command line calls it; a setting without a flag is named as run.toml names it."""
        return self.flag or self.toml_name

    @property
    def form_label(self) -> str:
        """The label beside the form's field: the short label, else the field name."""
        return self.label or self.name

    @property
    def form_name(self) -> str:
        return self.words or self.label or self.name.replace("_", " ")

    def default_text(self) -> str:
        """The default as `--help` and the form's placeholder show it."""
        if self.default is None:
            return "none"
        if isinstance(self.default, bool):
            return "yes" if self.default else "no"
        if isinstance(self.default, float):
            return f"{self.default:g}"
        return str(self.default)

    def problem(self, value: Any, name: str | None = None) -> str | None:
        """The sentence that refuses `value`, calling the setting `name` (its flag by default), or None."""
        name = name or self.flag_name
        if value is None and self.optional:
            return None
        if value is MISSING or value is None:
            return f"{name} is not set; give it a value."
        type_problem = self.type_problem(value)
        if type_problem is not None:
            return f"{name} must be {type_problem}."
        if self.kind == "text" and self.low and not value.strip():
            return f"{name} is empty; give {self.wording}."
        if self.kind not in ("int", "number"):
            return None
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return f"{name} must be {self.wording or self.low_phrase()}."
        high = self.high if self.high is not None else MAX_INT if self.kind == "int" else None
        if high is not None and (value >= high if self.high_open else value > high):
            return f"{name} must be {self.wording or f'at most {plain_number(high)}'}."
        return None

    def type_problem(self, value: Any) -> str | None:
        if self.kind == "int" and not (isinstance(value, int) and not isinstance(value, bool)):
            return f"a whole number, not {shown(value)}"
        if self.kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                return f"a number, not {shown(value)}"
            if not is_finite(value):
                return f"a finite number, not {shown(value)}"
        if self.kind == "bool" and not isinstance(value, bool):
            return f"true or false, not {shown(value)}"
        if self.kind == "text" and not isinstance(value, str):
            return f"text, not {shown(value)}"
        if self.kind == "choice" and value not in self.choices:
            *first, last = self.choices
            return f"{', '.join(first)} or {last}, not {shown(value)}"
        return None

    def low_phrase(self) -> str:
        assert self.low is not None
        if self.low_open:
            return "positive" if self.low == 0 else f"more than {plain_number(self.low)}"
        return "0 or more" if self.low == 0 else f"at least {plain_number(self.low)}"

    def parse_text(self, text: str) -> Any:
        """A typed value from what a form field holds; ValueError with the expected kind as its message."""
        text = text.strip()
        if not text:
            if self.optional:
                return None
            raise ValueError("needs a value")
        if self.auto_setting and text == "auto":
            return "auto"
        if self.kind == "int":
            try:
                return int(text)
            except ValueError:
                raise ValueError("a whole number" + (" or auto" if self.auto_setting else "")) from None
        if self.kind == "number":
            try:
                return float(text)
            except ValueError:
                raise ValueError("a number") from None
        if self.kind == "bool":
            if text.lower() in ("yes", "true", "on", "1"):
                return True
            if text.lower() in ("no", "false", "off", "0"):
                return False
            raise ValueError("yes or no")
        return text


def training(name: str, kind: OptionKind, default: Any, flag: str, label: str, help: str, **rest: Any) -> Option:
    return Option("training", name, kind, default, help, flag, label, **rest)


OPTIONS: tuple[Option, ...] = (
    # ----- what to train on -----
    Option("", "corpus", "text", "", "a bundled or registered corpus name, or a path to a file or folder",
           "--corpus", "corpus", group="run", low=1,
           wording="a corpus name or a path (`poet corpora list` shows the names)"),
    Option("", "seed", "int", 1337, "the random seed: the same seed and settings train the same model", "--seed",
           "seed", group="training", low=0, high=MAX_SEED, wording=SEED_RANGE),
    Option("", "corpus_source", "text", "", "the corpus's resolved path when training started", group="run"),
    Option("", "corpus_fingerprint", "text", "", "sha256 of the corpus text, checked again on resume", group="run"),
    Option("", "corpus_parts", "text", "", "a combined corpus's parts as trained, each name:share", group="run"),
    Option("", "corpus_part_fingerprints", "text", "", "sha256 of each part's text, checked again on resume",
           group="run"),
    # ----- tokenizer -----
    Option("tokenizer", "kind", "choice", "char", "how text becomes tokens", "--tokenizer", "tokens",
           words="tokenizer", group="tokenizer", choices=get_args(TokenizerKind)),
    Option("tokenizer", "vocab_size", "int", 2000, "SentencePiece vocabulary size (spm)", "--vocab-size", "vocab",
           words="vocabulary size", group="tokenizer", low=1, high=MAX_VOCAB,
           applies_when=("tokenizer.kind", ("spm",))),
    Option("tokenizer", "spm_model", "choice", "bpe", "SentencePiece model type (spm)", "--spm-model", "spm model",
           group="tokenizer", advanced=True, choices=get_args(SpmModel), applies_when=("tokenizer.kind", ("spm",))),
    Option("tokenizer", "min_count", "int", 2, "words seen fewer times become <unk> (word)", "--min-count",
           "min count", group="tokenizer", advanced=True, low=1, applies_when=("tokenizer.kind", ("word",))),
    # ----- model -----
    Option("model", "vocab_size", "int", 0, "the model's vocabulary, set from the tokenizer", group="model",
           low=0, high=MAX_VOCAB),
    Option("model", "cell", "choice", "lstm", "the recurrent cell", "--cell", "cell", group="model",
           choices=get_args(Cell)),
    Option("model", "num_layers", "int", 2, "recurrent layers", "--layers", "layers", group="model", low=1,
           high=MAX_LAYERS),
    Option("model", "hidden_size", "int", 256, "hidden units per layer", "--hidden", "hidden", group="model", low=1,
           high=MAX_WIDTH),
    Option("model", "embedding_size", "int", 128, "embedding size", "--embedding", "embedding", group="model",
           low=1, high=MAX_WIDTH),
    Option("model", "dropout", "number", 0.1, "dropout between layers and before the output", "--dropout",
           "dropout", group="model", low=0, high=1, high_open=True, wording="in [0, 1)"),
    Option("model", "tied", "bool", False, "tie the input and output embeddings", "--tied", "tied",
           words="tied weights", group="model", advanced=True),
    # ----- training -----
    training("batch_size", "int", 32, "--batch-size", "batch",
             "rows a step, or 'auto' (the most that fits in 80% of GPU memory)", words="batch size", low=1,
             high=MAX_BATCH_SIZE, auto_setting="auto_batch_size"),
    Option("training", "auto_batch_size", "bool", False, "probe the largest batch that fits, once, at the start"),
    # Short windows and a high peak rate win when the clock is what is scarce: on two CPU cores a minute on the
    # sonnets reaches 2.34 bits/char instead of 2.73 with bptt 128 at 2e-3 (benchmarks/RESULTS.md). The hidden
    # state still carries across windows, so context is not cut at 32 tokens, only the gradient.
    training("bptt", "int", 32, "--bptt", "bptt", "tokens per truncated-BPTT window", words="bptt window", low=1,
             high=MAX_BPTT),
    training("learning_rate", "number", 8e-3, "--lr", "learn rate", "peak learning rate", words="learning rate",
             low=0, low_open=True),
    training("random_windows", "bool", False, "--random-windows", "random win",
             "train on windows at random places instead of in order (the state is reset each window)",
             words="random windows", advanced=True),
    # AdamW moves a token's output a full step even when its gradient is tiny, so a token the training text
    # never contains is driven ever less likely; held, it keeps its starting weights (benchmarks/RESULTS.md,
    # "Tokens training never saw").
    training("hold_unseen_tokens", "bool", False, "--hold-unseen-tokens", "hold new",
             "leave tokens the training text never contains as they started, instead of driving them ever less "
             "likely: fairer odds for words first met in new text (which generation may then emit)",
             words="hold unseen tokens", advanced=True),
    training("weight_decay", "number", 0.01, "--weight-decay", "decay", "AdamW weight decay", words="weight decay",
             advanced=True, low=0),
    training("grad_clip", "number", 1.0, "--grad-clip", "grad clip", "clip the gradient norm to this (0: off)",
             words="gradient clipping", advanced=True, low=0, wording="zero (off) or positive"),
    training("warmup_steps", "int", 50, "--warmup", "warmup", "steps of linear learning-rate warmup",
             words="warmup steps", advanced=True, low=0),
    training("schedule", "choice", "cosine", "--schedule", "schedule", "how the learning rate decays after warmup",
             advanced=True, choices=get_args(Schedule)),
    training("min_lr_ratio", "number", 0.1, "--min-lr-ratio", "min lr",
             "the lowest learning rate, as a share of the peak",
             words="lowest learning rate ratio", advanced=True, low=0, high=1, wording="between 0 and 1"),
    training("eval_every_steps", "int", 200, "--eval-every", "eval every",
             "evaluate (and checkpoint) every N steps",
             words="eval every", low=1),
    training("eval_every_seconds", "number", None, "--eval-every-seconds", "eval secs",
             "also evaluate every N seconds", words="eval every seconds", advanced=True, optional=True, low=0,
             low_open=True),
    training("patience", "int", None, "--patience", "patience", "stop after N evaluations without improvement",
             advanced=True, optional=True, low=1),
    training("checkpoint_every_steps", "int", None, "--checkpoint-every", "keep every",
             "also keep a checkpoint every N steps", words="checkpoint every", advanced=True, optional=True, low=1),
    training("log_every_steps", "int", 10, "--log-every", "log every", "report a step event every N steps",
             advanced=True, low=1),
    training("sample_length", "int", 200, "--sample-length", "sample len",
             "tokens in the sample shown at each evaluation",
             words="sample length", advanced=True, low=1, high=MAX_LENGTH),
    training("validation_fraction", "number", 0.1, "--val-fraction", "val share", "share of documents held out",
             words="validation fraction", advanced=True, low=0, high=1, low_open=True, high_open=True,
             wording="between 0 and 1"),
    training("device", "choice", "auto", "--device", "device", "where to train (auto: a GPU if there is one)",
             choices=get_args(Device)),
    training("precision", "choice", "auto", "--precision", "precision", "number format (auto: bf16 on CUDA)",
             advanced=True, choices=get_args(Precision)),
    training("threads", "int", None, "--threads", "threads",
             "CPU threads for training (none: the cores this process may use, one left to the app, tuned by timing)",
             advanced=True, optional=True, low=1, high=1024),
    # ----- budget -----
    training("max_steps", "int", None, "--max-steps", "max steps", "stop after N steps", words="max steps",
             group="budget", optional=True, low=1),
    training("max_minutes", "number", None, "--max-minutes", "minutes", "stop after N minutes of training",
             words="minutes", group="budget", optional=True, low=0, low_open=True),
    training("epochs", "number", None, "--epochs", "epochs", "stop after N passes over the training text",
             group="budget", optional=True, low=0, low_open=True),
)  # fmt: skip


def option_table(options: Iterable[Option] = OPTIONS) -> dict[str, Option]:
    """The options by key (`training.learning_rate`)."""
    return {option.key: option for option in options}


OPTIONS_BY_KEY = option_table()


def option(key: str) -> Option:
    return OPTIONS_BY_KEY[key]


def default_of(key: str) -> Any:
    """The one default of a setting; the config dataclasses take theirs from here."""
    return OPTIONS_BY_KEY[key].default


def flagged(options: Iterable[Option] = OPTIONS) -> list[Option]:
    """The options a user sets (a flag and a form field); the rest are recorded by the engine."""
    return [item for item in options if item.flag is not None]


def budget_options(options: Iterable[Option] = OPTIONS) -> list[Option]:
    return [item for item in options if item.group == "budget"]


def flag_argument(flag: str, value: Any) -> str:
    """`--flag=value` as the training child's argv spells it: `=` keeps a value like `-x` a value, and a float's
    repr reads back to exactly the same number."""
    return f"{flag}={value!r}" if isinstance(value, float) else f"{flag}={value}"


Namer = Callable[[Option], str]


def flag_names(item: Option) -> str:
    return item.flag_name


def form_names(item: Option) -> str:
    return item.form_name
