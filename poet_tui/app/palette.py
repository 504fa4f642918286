"""The command palette's poet commands (ctrl+p): the panes, help, quit and the pane actions that make sense
from anywhere, each one a key binding of the app or a pane. Choosing one shows its pane and runs the binding's
own action through Textual (`run_action`), exactly as the key would: there is no second implementation, and the
entry shows the key. An action that cannot apply right now (Stop with no run training) is not offered.

Textual's own entries (Theme, and Maximize for a focused widget) come from `App.get_system_commands`, which
PoetApp trims (see there)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from poet_tui.app.app import PoetApp


def training(app: PoetApp) -> bool:
    train = app.train_pane_if_mounted()
    return train is not None and train.is_training


def not_training(app: PoetApp) -> bool:
    return not training(app)


def streaming(app: PoetApp) -> bool:
    from poet_tui.app.repl_pane import ReplPane

    found = app.query(ReplPane)
    return bool(found) and found.first().streaming is not None


def paused(app: PoetApp) -> bool:
    train = app.train_pane_if_mounted()
    return train is not None and train.source is not None and train.source.paused


@dataclass(frozen=True)
class PaletteEntry:
    """A palette line for the binding with `binding_id`: run on `pane` (None: on the app)."""

    binding_id: str
    title: str
    pane: str | None = None
    offered: Callable[[PoetApp], bool] | None = None
    title_when: tuple[Callable[[PoetApp], bool], str] | None = None  # another title while the test holds


ENTRIES: tuple[PaletteEntry, ...] = (
    PaletteEntry("app.help", "Help: every key"),
    PaletteEntry("app.corpus", "Go to Corpus"),
    PaletteEntry("app.train", "Go to Train"),
    PaletteEntry("app.checkpoints", "Go to Checkpoints"),
    PaletteEntry("app.repl", "Go to REPL"),
    PaletteEntry("app.quit", "Quit"),
    PaletteEntry("corpus.add", "Corpus: add a file or folder", "corpus"),
    PaletteEntry("corpus.gutenberg", "Corpus: add from Project Gutenberg", "corpus"),
    PaletteEntry("train.start", "Train: start a run", "train", not_training),
    PaletteEntry("train.pause", "Train: pause the run", "train", training, (paused, "Train: continue the run")),
    PaletteEntry("train.stop", "Train: stop the run (saves a checkpoint)", "train", training),
    PaletteEntry("train.resume", "Train: resume the run picked under the form", "train", not_training),
    PaletteEntry("checkpoints.reload", "Checkpoints: reload the runs", "checkpoints"),
    PaletteEntry("repl.open", "REPL: open a model", "repl"),
    PaletteEntry("repl.form", "REPL: next form (free, wulv, … sonnet, …)", "repl"),
    PaletteEntry("repl.settings", "REPL: sampling and form settings", "repl"),
    PaletteEntry("repl.poem", "REPL: stop at the end of a poem, on or off", "repl"),
    PaletteEntry("repl.min_copy", "REPL: shortest copy highlighted (8, 12, 20, 40)", "repl"),
    PaletteEntry("repl.lens", "REPL: lens: colour tokens by probability, surprisal or a cell", "repl"),
    PaletteEntry("repl.tokens", "REPL: token cursor with the alternatives (Enter branches)", "repl"),
    PaletteEntry("repl.score", "REPL: score a text: paste or load a poem", "repl"),
    PaletteEntry("repl.cells", "REPL: cells: hidden units that track features of the text", "repl"),
    PaletteEntry("repl.regenerate", "REPL: regenerate the last prompt", "repl"),
    PaletteEntry("repl.clear", "REPL: clear the transcript", "repl"),
    PaletteEntry("repl.stop", "REPL: stop the completion", "repl", streaming),
)


def bindings_by_id() -> dict[str, Binding]:
    """Every binding of the app and the panes that carries an id (the palette's entries name them)."""
    from poet_tui.app.app import PoetApp
    from poet_tui.app.checkpoints_pane import CheckpointsPane
    from poet_tui.app.corpus_pane import CorpusPane
    from poet_tui.app.repl_pane import ReplPane
    from poet_tui.app.train_pane import TrainPane

    found: list[BindingType] = []
    for owner in (PoetApp, CorpusPane, TrainPane, CheckpointsPane, ReplPane):
        found += owner.BINDINGS
    return {binding.id: binding for binding in found if isinstance(binding, Binding) and binding.id}


@dataclass(frozen=True)
class PaletteCommand:
    title: str
    help: str
    run: Callable[[], Any]


def palette_commands(app: PoetApp) -> Iterator[PaletteCommand]:
    """The entries offered now, in order, each with its key and what it does."""
    bindings = bindings_by_id()
    for entry in ENTRIES:
        if entry.offered is not None and not entry.offered(app):
            continue
        binding = bindings[entry.binding_id]
        title = entry.title
        if entry.title_when is not None and entry.title_when[0](app):
            title = entry.title_when[1]
        key = app.get_key_display(replace(binding, key_display=None))  # the key itself, not the footer's "f2-f5"
        said = f"{key}  {binding.tooltip or binding.description}"
        yield PaletteCommand(title, said, partial(run, app, entry, binding))


async def run(app: PoetApp, entry: PaletteEntry, binding: Binding) -> None:
    """Show the entry's pane (its default focus, as F2–F5 give it), then run the binding's own action there."""
    if entry.pane is None:
        await app.run_action(binding.action)
        return
    await app.action_show_pane(entry.pane)
    await app.run_action(binding.action, await app.mounted_pane(entry.pane))


class PoetCommands(Provider):
    @property
    def poet_app(self) -> PoetApp:
        return self.app  # type: ignore[return-value]

    async def discover(self) -> Hits:
        for command in palette_commands(self.poet_app):
            yield DiscoveryHit(command.title, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in palette_commands(self.poet_app):
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(score, matcher.highlight(command.title), command.run, text=command.title, help=command.help)
