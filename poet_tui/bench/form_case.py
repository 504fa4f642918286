"""sample-form: what a form costs per token, as a ratio against the same model sampling freely in the same run.

The model is sample-char's (random-init LSTM, 2 × 256 on CPU), over the bench text's characters for the English
forms, over tang300's for the Chinese ones, and over SentencePiece pieces of the bench text for the `(spm)` ones.
Free and constrained sampling alternate, repeat by repeat, so a machine that slows down mid-run slows both; the
figure is the median constrained ms/token over the median free ms/token. A random model writes random words, so
nearly every syllable or rhyme state is new to the mask cache: the worst case for those forms (a trained model's
real words hit the cache far more)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import torch

from poet_tui.config import ModelConfig
from poet_tui.corpus import Document
from poet_tui.corpus_registry import find_corpus
from poet_tui.forms import Form, choose_form
from poet_tui.model import RNNLanguageModel
from poet_tui.sample import CompletionStats, SamplingSettings, stream_completion
from poet_tui.tokenizers import SPM_MIN_VOCAB, CharTokenizer, SentencePieceTokenizer, Tokenizer

if TYPE_CHECKING:
    from poet_tui.bench.cases import BenchContext
    from poet_tui.bench.harness import MemoryMeter

SPM_TEXT_LIMIT = 400_000  # characters SentencePiece learns its pieces from: seconds, not a minute
FORM_TARGET_RATIO = 2.0  # issue #11: a form costs at most twice the unconstrained time per token

# (label, form name, acrostic, rhyme, metre, script)
FORM_CASES = [
    ("wujue", "wujue", "", False, False, "chinese"),
    ("wulv", "wulv", "", False, False, "chinese"),
    ("quatrain", "quatrain", "", False, False, "english"),
    ("sonnet", "sonnet", "", False, False, "english"),
    ("haiku", "haiku", "", False, False, "english"),
    ("sonnet --rhyme --metre", "sonnet", "", True, True, "english"),
    ("quatrain --acrostic LOVE", "quatrain", "LOVE", False, False, "english"),
    ("sonnet (spm)", "sonnet", "", False, False, "pieces"),
    ("haiku (spm)", "haiku", "", False, False, "pieces"),
    ("sonnet --rhyme --metre (spm)", "sonnet", "", True, True, "pieces"),
]


@dataclass
class Sampler:
    model: RNNLanguageModel
    tokenizer: Tokenizer

    def ms_per_token(self, settings: SamplingSettings, form: Form | None, poems: int) -> float:
        """Milliseconds per token after each completion's first (its prompt pass), over `poems` completions."""
        seconds, tokens = 0.0, 0
        for index in range(poems):
            stats = CompletionStats()
            seeded = replace(settings, seed=(settings.seed or 0) + index)
            "".join(stream_completion(self.model, self.tokenizer, "", seeded, stats, form))
            assert stats.finished is not None and stats.first_token_seconds is not None
            seconds += stats.finished - stats.started - stats.first_token_seconds
            tokens += max(stats.tokens - 1, 1)
        return 1000 * seconds / tokens


def sampler_for(script: str, context: BenchContext) -> Sampler:
    """Chinese: tang300's characters; English: the bench text's; pieces: SentencePiece on the bench text."""
    if script == "chinese":
        entry = find_corpus("tang300")
        assert entry is not None, "the bundled tang300 corpus is missing"
        documents = entry.load().documents
    else:
        documents = [Document(context.text.text[:SPM_TEXT_LIMIT] if script == "pieces" else context.text.text)]
    tokenizer: Tokenizer = CharTokenizer.build(documents)
    if script == "pieces":
        vocab_size = max(context.profile.spm_vocab_size, len(set(documents[0].text)) + SPM_MIN_VOCAB)
        tokenizer = SentencePieceTokenizer.train(documents, vocab_size=vocab_size)
    torch.manual_seed(0)
    config = ModelConfig(vocab_size=tokenizer.vocab_size, **context.profile.sample_model)
    return Sampler(RNNLanguageModel(config).to(context.device).eval(), tokenizer)


def sample_form(context: BenchContext, meter: MemoryMeter) -> dict[str, Any]:
    profile = context.profile
    samplers = {script: sampler_for(script, context) for script in ("english", "chinese", "pieces")}
    free = SamplingSettings(temperature=0.8, max_tokens=profile.sample_tokens // 4, seed=1, stop_at_end_of_poem=False)
    constrained = SamplingSettings(temperature=0.8, seed=1)
    poems = 2 if profile.name == "quick" else 6
    ratios: dict[str, float] = {}
    details: dict[str, Any] = {"model": profile.sample_model, "poems_per_repeat": poems}
    for label, name, acrostic, rhyme, metre, script in FORM_CASES:
        form = choose_form(name, acrostic, rhyme, metre)
        sampler = samplers[script]
        sampler.ms_per_token(constrained, form, 1)  # warm-up: the first masks, as after a user's first poem
        free_ms, form_ms = [], []
        for _ in range(profile.sample_repeats):
            free_ms.append(sampler.ms_per_token(free, None, poems))
            form_ms.append(sampler.ms_per_token(constrained, form, poems))
        ratios[label] = statistics.median(form_ms) / statistics.median(free_ms)
        details[label] = {
            "free_ms_per_token": round(statistics.median(free_ms), 4),
            "form_ms_per_token": round(statistics.median(form_ms), 4),
            "ratio": round(ratios[label], 3),
        }
    worst = max(ratios, key=lambda label: ratios[label])
    return {
        "ms_per_token": details[worst]["form_ms_per_token"],
        "tokens_per_s": 1000 / details[worst]["form_ms_per_token"],
        "target": f"each form <= {FORM_TARGET_RATIO}x the free ms/token of the same model (worst: {worst})",
        "target_met": all(ratio <= FORM_TARGET_RATIO for ratio in ratios.values()),
        "details": details,
    }
