"""The poet-tui app: four panes over the engine (Corpus, Train, Checkpoints, REPL) and a help screen.

Nothing here imports torch: the first frame comes first, then a worker thread imports the engine parts that
need it and tells the panes (EngineReady). ctrl+p opens the command palette (palette.py); the theme picked there
is remembered in $POET_HOME (app_state.py)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from rich.console import RenderableType
from textual import events, messages, on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.driver import Driver
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import TabbedContent, TabPane, Tabs
from textual.worker import Worker, WorkerState

from poet_tui.app import torch_threads
from poet_tui.app.app_log import AppLog
from poet_tui.app.app_state import remember_theme, startup_theme, unknown_config_theme
from poet_tui.app.background import ThreadFailed, post_from_thread, start_daemon
from poet_tui.app.checkpoints_pane import CheckpointsPane
from poet_tui.app.corpus_pane import CorpusAdded, CorpusPane
from poet_tui.app.help_screen import HelpScreen
from poet_tui.app.key_footer import KeyFooter
from poet_tui.app.messages import (
    CheckpointWritten,
    CorpusChosen,
    EngineReady,
    OpenInRepl,
    ResumeRun,
    WorkerFailed,
)
from poet_tui.app.modals import QuitChoice, QuitScreen
from poet_tui.app.palette import PoetCommands
from poet_tui.app.repl_pane import ReplPane
from poet_tui.app.train_pane import TrainPane
from poet_tui.errors import PoetError
from poet_tui.user_config import UserConfig, load_user_config

PANE_TITLES = {"corpus": "Corpus F2", "train": "Train F3", "checkpoints": "Checkpoints F4", "repl": "REPL F5"}
PANE_TYPES: dict[str, type[CorpusPane | TrainPane | CheckpointsPane | ReplPane]] = {
    "corpus": CorpusPane,
    "train": TrainPane,
    "checkpoints": CheckpointsPane,
    "repl": ReplPane,
}


NARROW_WIDTH = 90
# Textual's palette entries left out: ours has Quit and Help with their keys, and a screenshot would be written
# outside $POET_HOME, where poet-tui never writes unless the user names the place.
TEXTUAL_COMMANDS_LEFT_OUT = ("Quit", "Keys", "Screenshot")


class PoetApp(App[None]):
    TITLE = "poet-tui"
    CSS_PATH = Path(__file__).with_name("poet.tcss")  # absolute, so subclasses elsewhere find it too
    COMMANDS = App.COMMANDS | {PoetCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help", id="app.help"),
        # Textual's own palette key, declared here so the footer and F1 show it (Textual then adds none).
        Binding(
            "ctrl+p",
            "command_palette",
            "Commands",
            tooltip="Command palette: actions, theme",
            id="app.palette",
            priority=True,
        ),
        # The footer shows F2-F5 as one entry (the tabs name each pane with its key); the help lists each.
        Binding("f2", "show_pane('corpus')", "Panes", key_display="f2-f5", tooltip="Corpus", id="app.corpus"),
        Binding("f3", "show_pane('train')", "Train", show=False, id="app.train"),
        Binding("f4", "show_pane('checkpoints')", "Checkpoints", show=False, id="app.checkpoints"),
        Binding("f5", "show_pane('repl')", "REPL", show=False, id="app.repl"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
    ]

    def __init__(self, checkpoint: str | None = None, load_engine: bool = True, defer_panes: bool = False) -> None:
        """`defer_panes`: mount the panes not shown at start after the first frame (`poet` does; tests need not)."""
        super().__init__()
        self.checkpoint = checkpoint
        self.load_engine_after_start = load_engine
        self.defer_panes = defer_panes
        self.engine_ready = False
        self.app_log = AppLog()
        self.config_problem: str | None = None
        config: UserConfig | None = None
        try:
            config = load_user_config()
        except PoetError as error:  # `poet` refuses to start with it; an app made otherwise says it on mount
            self.config_problem = str(error)
        theme, self.theme_source = startup_theme(self.available_themes, config)
        if theme is not None:
            self.theme = theme  # before the first frame: no redraw, and nothing is written
        self.theme_problem = unknown_config_theme(self.available_themes, config) if config else None
        self.saved_theme = self.theme
        self.mounting_deferred_panes = False
        self.held_exit: tuple[None, int, RenderableType | None] | None = None  # exit()'s arguments, while held
        self.exiting = False

    def get_driver_class(self) -> type[Driver]:
        """Under `poet serve`, Textual's web driver made to end the app when the server has gone
        (served_driver.py); any other driver as Textual picks it."""
        driver = super().get_driver_class()
        if (driver.__module__, driver.__name__) == ("textual.drivers.web_driver", "WebDriver"):
            from poet_tui.app.served_driver import ServedDriver

            return ServedDriver
        return driver

    @property
    def initial_pane(self) -> str:
        return "repl" if self.checkpoint else "corpus"

    def compose(self) -> ComposeResult:
        with TabbedContent(initial=self.initial_pane, id="panes"):
            for name, title in PANE_TITLES.items():
                with TabPane(title, id=name):
                    if name == self.initial_pane or not self.defer_panes:
                        yield PANE_TYPES[name](id=f"{name}-pane")
        yield KeyFooter()

    def on_resize(self, event: events.Resize) -> None:
        """Below NARROW_WIDTH columns the two-column panes stack their columns and scroll (poet.tcss)."""
        self.set_class(event.size.width < NARROW_WIDTH, "-narrow")

    def on_mount(self) -> None:
        if self.config_problem:
            self.notify(self.config_problem, title="config file", severity="error", timeout=15)
        if self.theme_problem:
            self.notify(self.theme_problem, title="config file", severity="warning", timeout=10)
        self.watch(self, "theme", self.theme_picked, init=False)
        self.set_class(self.size.width < NARROW_WIDTH, "-narrow")
        # F2-F5 switch panes; keeping focus out of the tab strip keeps each pane's keys in the footer.
        self.query_one(TabbedContent).query_one(Tabs).can_focus = False
        self.pane(self.current_pane).focus_default()
        if self.checkpoint:
            self.query_one(ReplPane).open_model(self.checkpoint)
        self.call_after_refresh(self.after_first_frame)

    async def after_first_frame(self) -> None:
        """Mount the deferred panes, then start importing torch: each of the two is quicker alone (torch holds
        the interpreter's lock for long stretches), and a ctrl+q meanwhile waits for the first only."""
        if self.exiting or not self.is_running:
            return  # an exit came first: Textual mounts nothing more once the app is exiting
        if self.defer_panes:
            self.mounting_deferred_panes = True
            try:
                await self.mount_deferred_panes()
            finally:
                self.mounting_deferred_panes = False
            if self.held_exit is not None:
                self.exit(*self.held_exit)
                return
        if self.load_engine_after_start:
            self.call_after_refresh(self.load_engine)

    # ----- panes -----
    @property
    def current_pane(self) -> str:
        return self.query_one(TabbedContent).active or "corpus"

    def pane(self, name: str) -> CorpusPane | TrainPane | CheckpointsPane | ReplPane:
        return self.query_one(f"#{name}-pane")  # type: ignore[return-value]

    async def mount_deferred_panes(self) -> None:
        """The first frame waits for the styles of every widget mounted; the Train pane alone holds about two
        thirds of them, so with `defer_panes` the panes not shown come right after it."""
        for name in PANE_TITLES:
            await self.mounted_pane(name)

    async def mounted_pane(self, name: str) -> CorpusPane | TrainPane | CheckpointsPane | ReplPane:
        """The pane, mounted now if it was deferred and is not yet (a key can ask for it before that)."""
        found = self.query(f"#{name}-pane")
        if found:
            return found.first()  # type: ignore[return-value]
        pane = PANE_TYPES[name](id=f"{name}-pane")
        await self.query_one(f"TabPane#{name}", TabPane).mount(pane)
        if self.engine_ready and isinstance(pane, TrainPane | CheckpointsPane):
            pane.engine_ready()  # EngineReady came first: it told only the panes mounted then
        return pane

    async def train_pane(self) -> TrainPane:
        pane = await self.mounted_pane("train")
        assert isinstance(pane, TrainPane)
        return pane

    async def action_show_pane(self, name: str) -> None:
        pane = await self.mounted_pane(name)
        self.query_one(TabbedContent).active = name
        pane.focus_default()

    @on(TabbedContent.TabActivated)
    def tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id in PANE_TITLES and self.focused is None and self.query(f"#{event.pane.id}-pane"):
            self.pane(event.pane.id).focus_default()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The palette opens over the panes only: not over a question (quit, delete) or a picker."""
        return not (action == "command_palette" and len(self.screen_stack) > 1)

    def train_pane_if_mounted(self) -> TrainPane | None:
        found = self.query(TrainPane)
        return found.first() if found else None

    # ----- the command palette and the theme -----
    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Textual's palette entries (Theme; Maximize for a focused widget), less those poet replaces or forbids."""
        for command in super().get_system_commands(screen):
            if command.title not in TEXTUAL_COMMANDS_LEFT_OUT:
                yield command

    def theme_picked(self, theme: str) -> None:
        """Remember a theme picked in the app (the palette's Theme), so the next start opens in it."""
        if theme == self.saved_theme:
            return
        try:
            remember_theme(theme)
        except (OSError, PoetError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            self.notify(f"The theme applies until poet closes; it could not be remembered ({reason}).",
                        severity="warning")  # fmt: skip
            return
        self.saved_theme = theme

    # ----- the engine (torch) in the background -----
    def load_engine(self) -> None:
        """Import the engine in a daemon thread (background.py): quitting right after start never waits for it."""
        start_daemon(self.import_engine, "poet-engine")

    def import_engine(self) -> None:
        try:
            import poet_tui.generation
            import poet_tui.run_catalog
            import poet_tui.sample  # noqa: F401 - imported here so the UI thread never waits for torch
        except Exception as error:
            post_from_thread(self, ThreadFailed("importing the engine", error))
            return
        post_from_thread(self, EngineReady())

    def on_engine_ready(self) -> None:
        """Torch finished loading; on a slow machine that may be after the app began to close (no panes left)."""
        self.engine_ready = True
        for pane in self.query(TrainPane):
            pane.engine_ready()
        for checkpoints in self.query(CheckpointsPane):
            checkpoints.engine_ready()

    def on_unmount(self) -> None:
        torch_threads.restore()
        self.app_log.close()

    # ----- panes talking to each other -----
    async def on_corpus_chosen(self, message: CorpusChosen) -> None:
        (await self.train_pane()).set_corpus(message.name)
        await self.action_show_pane("train")
        self.notify(f"Training on '{message.name}': adjust the settings, then ctrl+s starts.", timeout=3)

    def on_corpus_added(self, message: CorpusAdded) -> None:
        for pane in self.query(TrainPane):
            pane.form.refresh_corpus_names()

    def on_checkpoint_written(self, message: CheckpointWritten) -> None:
        for pane in self.query(CheckpointsPane):  # none left while the app shuts down
            pane.mark_stale()

    async def on_open_in_repl(self, message: OpenInRepl) -> None:
        await self.action_show_pane("repl")
        self.query_one(ReplPane).open_model(message.model)

    async def on_resume_run(self, message: ResumeRun) -> None:
        await self.action_show_pane("train")
        (await self.train_pane()).resume_run(message.run_id)

    # ----- one place for worker failures: the app's own, and the panes' (forwarded as WorkerFailed) -----
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.report_failure(event.worker)

    def on_worker_failed(self, message: WorkerFailed) -> None:
        self.report_failure(message.worker)

    def on_thread_failed(self, message: ThreadFailed) -> None:
        self.report_error(message.error, message.what)

    def report_failure(self, worker: Worker[object]) -> None:
        self.report_error(worker.error, worker.name)

    def report_error(self, error: BaseException | None, what: str) -> None:
        if isinstance(error, PoetError):
            self.notify(str(error), title="poet", severity="error", timeout=8)
            return
        # Not a sentence a user can act on: the traceback goes to the app's log, and the toast says where.
        logged = self.app_log.write("error", f"{what} failed", error)
        where = f" (the details are in {logged})" if logged is not None else ""
        self.notify(f"{type(error).__name__}: {error}{where}", title=f"{what} failed", severity="error", log=False)
        self.log.error(error)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
        log: bool = True,
    ) -> None:
        """Textual's toast; a warning or an error is also kept in the app's log (`log=False`: already there)."""
        if log and severity != "information":
            self.app_log.write(severity, f"{title}: {message}" if title else message)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    # ----- quitting -----
    # An exit while the deferred panes mount (ctrl+q, or a browser tab closed, right at the first frame) waits
    # for them, a fraction of a second. Once the app is exiting Textual mounts no more children, so a widget
    # half-way through its mount (a Select without its overlay) raises and the app ends with an error.
    def exit(self, result: None = None, return_code: int = 0, message: RenderableType | None = None) -> None:
        if self.mounting_deferred_panes:
            self.held_exit = (result, return_code, message)
            return
        self.exiting = True
        super().exit(result, return_code, message)

    def on_exit_app(self, message: messages.ExitApp) -> None:
        """The web driver's exit (a browser tab closed), which does not go through `exit`."""
        if self.mounting_deferred_panes:
            message.prevent_default()
            self.held_exit = self.held_exit or (None, 0, None)
        else:
            self.exiting = True

    async def action_quit(self) -> None:
        train = self.train_pane_if_mounted()  # deferred: not mounted yet
        if train is None or not train.is_training:
            self.exit()
            return
        self.push_screen(QuitScreen(train.progress.run or "A run"), self.quit_answered)

    def quit_answered(self, choice: QuitChoice | None) -> None:
        train = self.query_one(TrainPane)
        if choice == "leave":
            train.detach()
            self.exit()
        elif choice == "stop":
            train.quit_when_stopped = True
            train.action_stop()
            self.notify("Saving a checkpoint; poet quits when the run has stopped.", timeout=10)
