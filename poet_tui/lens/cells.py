"""Finding interpretable cells: which hidden units' activations best track a named feature of the text
(features.py), by Pearson correlation over a whole text; and one unit's activation along a text, for the
red/blue view of Karpathy, Johnson and Fei-Fei's "Visualizing and Understanding Recurrent Networks".

The correlations are summed chunk by chunk in float64 (Σx, Σx², Σf, Σf², Σxf), so a long validation text never
holds every layer's activations at once. A unit or a feature that does not vary over the text has no
correlation: it is skipped, never reported as NaN.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from poet_tui.errors import PoetError
from poet_tui.lens.activations import (
    ShouldStop,
    check_kind,
    check_layer,
    default_kind,
    iterate_activations,
    stop_if_asked,
)
from poet_tui.lens.features import FEATURES, Feature, token_features
from poet_tui.lens.tokens import TokenizedText, tokenize_text
from poet_tui.model import RNNLanguageModel
from poet_tui.tokenizers import Tokenizer

Progress = Callable[[float], None]
CONSTANT = 1e-12  # a variance (per step, squared units) below this is no variation at all


@dataclass(frozen=True)
class CellFinding:
    feature: str
    layer: int
    unit: int
    kind: str
    correlation: float


@dataclass
class CorrelationSums:
    """Running sums for the correlation of every unit (columns of x) with every feature (columns of f)."""

    count: int
    x: np.ndarray
    xx: np.ndarray
    f: np.ndarray
    ff: np.ndarray
    xf: np.ndarray

    @classmethod
    def empty(cls, units: int, features: int) -> CorrelationSums:
        return cls(
            0, np.zeros(units), np.zeros(units), np.zeros(features), np.zeros(features), np.zeros((units, features))
        )

    def add(self, x: np.ndarray, f: np.ndarray) -> None:
        self.count += x.shape[0]
        self.x += x.sum(0)
        self.xx += (x * x).sum(0)
        self.f += f.sum(0)
        self.ff += (f * f).sum(0)
        self.xf += x.T @ f

    def correlations(self) -> np.ndarray:
        """(units, features); NaN where a unit or a feature is constant (callers skip those)."""
        n = max(1, self.count)
        covariance = self.xf / n - np.outer(self.x / n, self.f / n)
        unit_variance = self.xx / n - (self.x / n) ** 2
        feature_variance = self.ff / n - (self.f / n) ** 2
        scale = np.sqrt(np.outer(np.clip(unit_variance, 0, None), np.clip(feature_variance, 0, None)))
        varies = np.outer(unit_variance > CONSTANT, feature_variance > CONSTANT)
        result = np.full(covariance.shape, np.nan)
        np.divide(covariance, scale, out=result, where=varies & (scale > 0))
        return np.clip(result, -1.0, 1.0)


def read_text(tokenizer: Tokenizer, text: str) -> tuple[TokenizedText, list[int]]:
    """The text's tokens and the ids the model reads: `<eod>` (a poem starts), then the text."""
    tokenized = tokenize_text(tokenizer, text)
    if not tokenized.ids:
        raise PoetError("the text is empty; give it a few lines to look at.")
    return tokenized, [tokenizer.end_of_document_id, *tokenized.ids]


def find_cells(
    model: RNNLanguageModel,
    tokenizer: Tokenizer,
    text: str,
    layers: Sequence[int] | None = None,
    top: int = 5,
    kind: str | None = None,
    should_stop: ShouldStop | None = None,
    progress: Progress | None = None,
    features: Sequence[Feature] = FEATURES,
) -> list[CellFinding]:
    """For each feature (in the FEATURES table's order), its `top` units by |correlation| over the text, best
    first. `should_stop` is asked between chunks (LensCancelled is raised); `progress` hears the share done."""
    kind = kind or default_kind(model)
    check_kind(model, kind)
    layers = list(range(model.config.num_layers)) if layers is None else list(layers)
    for layer in layers:
        check_layer(model, layer)
    tokenized, read_ids = read_text(tokenizer, text)
    columns = []
    for feature in features:  # a Python pass over every character each: asked between them, as between chunks
        stop_if_asked(should_stop)
        columns.append(token_features(text, tokenized.spans, [feature]))
    feature_matrix = np.hstack(columns) if columns else np.zeros((len(tokenized.spans), 0))
    size = model.config.hidden_size
    sums = {layer: CorrelationSums.empty(size, len(features)) for layer in layers}
    for start, found in iterate_activations(model, read_ids, layers, kind, should_stop):
        # Row 0 of the read ids is the <eod> before the text: its state describes no character.
        first = max(start, 1)
        steps = 0
        for layer, activations in found.items():
            steps = activations.shape[0]
            rows = activations[first - start :].double().cpu().numpy()
            sums[layer].add(rows, feature_matrix[first - 1 : first - 1 + rows.shape[0]])
        if progress is not None:
            progress(min(1.0, (start + steps) / len(read_ids)))
    findings: list[CellFinding] = []
    for column, feature in enumerate(features):
        candidates = []
        for layer in layers:
            correlations = sums[layer].correlations()[:, column]
            for unit in np.flatnonzero(~np.isnan(correlations)):
                candidates.append(CellFinding(feature.name, layer, int(unit), kind, float(correlations[unit])))
        candidates.sort(key=lambda finding: (-abs(finding.correlation), finding.layer, finding.unit))
        findings.extend(candidates[: max(0, top)])
    return findings


def unit_trace(
    model: RNNLanguageModel,
    tokenizer: Tokenizer,
    text: str,
    layer: int,
    unit: int,
    kind: str | None = None,
    should_stop: ShouldStop | None = None,
) -> list[tuple[int, int, float]]:
    """(start, end, activation) for each token of the text: tanh(c) for a cell (Karpathy's view), h for a hidden
    state, both in [-1, 1]."""
    kind = kind or default_kind(model)
    check_kind(model, kind)
    check_layer(model, layer)
    size = model.config.hidden_size
    if not 0 <= unit < size:
        raise PoetError(f"unit {unit} does not exist: layer {layer} has units 0 to {size - 1}.")
    tokenized, read_ids = read_text(tokenizer, text)
    values: list[float] = []
    for _, found in iterate_activations(model, read_ids, [layer], kind, should_stop):
        column = found[layer][:, unit]
        values.extend((torch.tanh(column) if kind == "cell" else column).tolist())
    return [(start, end, value) for (start, end), value in zip(tokenized.spans, values[1:], strict=True)]
