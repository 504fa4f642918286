"""The layers hold: the engine (everything outside `poet_tui.app` and `poet_tui.cli`) imports neither of them nor
textual, and the app never imports the CLI, so there is no import cycle between the app and the CLI. The rule is
read from the source of every module the package holds — imports inside functions and under TYPE_CHECKING
count — so a new module or a lazy import cannot slip past a hand-made list. Then, at run time: what importing
a part really loads in a fresh interpreter."""

from __future__ import annotations

import ast
import pkgutil
from dataclasses import dataclass
from pathlib import Path

import poet_tui
from tests.helpers import loaded_among, modules_loaded_by

APP, CLI = "poet_tui.app", "poet_tui.cli"
ENTRY_POINT = "poet_tui.__main__"  # `python -m poet_tui`: the CLI's own door, the one module above both layers
UI_LIBRARIES = ("textual", "textual_plotext")


@dataclass(frozen=True)
class ImportStatement:
    line: int
    text: str  # the statement as written, for the report
    targets: tuple[str, ...]  # every absolute module name it may load


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    is_package: bool


def package_modules(package_path: Path = Path(poet_tui.__file__).parent, prefix: str = "poet_tui") -> list[Module]:
    """Every module and package of poet_tui, found on disk without importing any of them."""
    modules = [Module(prefix, package_path / "__init__.py", is_package=True)] if prefix == "poet_tui" else []
    for info in pkgutil.iter_modules([str(package_path)]):
        name = f"{prefix}.{info.name}"
        if info.ispkg:
            modules.append(Module(name, package_path / info.name / "__init__.py", is_package=True))
            modules.extend(package_modules(package_path / info.name, name))
        else:
            modules.append(Module(name, package_path / f"{info.name}.py", is_package=False))
    return modules


def absolute(module: str | None, level: int, importer: str, importer_is_package: bool) -> str:
    """The absolute name `from <level dots><module> import …` refers to inside `importer`."""
    if level == 0:
        return module or ""
    package = importer if importer_is_package else importer.rpartition(".")[0]
    base = package.rsplit(".", level - 1)[0] if level > 1 else package
    return f"{base}.{module}" if module else base


def import_targets(node: ast.AST, importer: str, importer_is_package: bool) -> list[str]:
    """The absolute module names one node may load: none unless it is an import or a literal import_module."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = absolute(node.module, node.level, importer, importer_is_package)
        return [base, *(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")]
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if called == "import_module" and isinstance(node.args[0].value, str):
            return [node.args[0].value]
    return []


def import_statements(source: str, importer: str, importer_is_package: bool = False) -> list[ImportStatement]:
    """Every import in `source`, wherever it sits (module level, function bodies, `if TYPE_CHECKING:`), plus
    `importlib.import_module("…")` with a literal name."""
    statements = []
    for node in ast.walk(ast.parse(source)):
        targets = import_targets(node, importer, importer_is_package)
        if targets and isinstance(node, ast.stmt | ast.expr):
            text = " ".join((ast.get_source_segment(source, node) or "").split())
            statements.append(ImportStatement(node.lineno, text, tuple(targets)))
    return statements


def within(name: str, *roots: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in roots)


def forbidden_for(module: str) -> tuple[str, ...]:
    """What `module` may never import: the layers above it."""
    if module == ENTRY_POINT or within(module, CLI):
        return ()
    if within(module, APP):
        return (CLI,)
    return (APP, CLI, *UI_LIBRARIES)


def layering_problems(source: str, module: str, is_package: bool = False) -> list[str]:
    """One line per import in `source` that breaks the layers: the module, the line and what it imports."""
    problems = []
    for statement in import_statements(source, module, is_package):
        broken = [target for target in statement.targets if within(target, *forbidden_for(module))]
        if broken:
            problems.append(f"{module} line {statement.line}: `{statement.text}` imports {broken[0]}")
    return problems


def problems_in(modules: list[Module]) -> list[str]:
    return [
        problem
        for module in modules
        for problem in layering_problems(module.path.read_text(encoding="utf-8"), module.name, module.is_package)
    ]


def test_the_walk_finds_every_layer_and_nested_package() -> None:
    names = {module.name for module in package_modules()}
    assert {"poet_tui", "poet_tui.train", "poet_tui.bench", "poet_tui.bench.cases", APP, "poet_tui.app.train_form",
            CLI, "poet_tui.cli.main", ENTRY_POINT} <= names  # fmt: skip
    assert len(names) > 50


def test_the_engine_imports_neither_the_app_nor_the_cli_nor_textual() -> None:
    engine = [module for module in package_modules() if not within(module.name, APP, CLI, ENTRY_POINT)]
    problems = problems_in(engine)
    assert not problems, "the engine must not import these:\n" + "\n".join(problems)


def test_the_app_never_imports_the_cli() -> None:
    problems = problems_in([module for module in package_modules() if within(module.name, APP)])
    assert not problems, "the app must not import the CLI (it would make an import cycle):\n" + "\n".join(problems)


def test_the_checker_sees_imports_wherever_they_hide() -> None:
    """The walker itself: a lazy import in a function body, one under TYPE_CHECKING, relative imports, a
    submodule named in `from poet_tui import cli`, and import_module with a literal name are all caught."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "from poet_tui.config import RunConfig\n"
        "if TYPE_CHECKING:\n"
        "    from poet_tui.app.app import PoetApp\n"
        "def later():\n"
        "    import textual.widgets\n"
        "    from ..cli import main\n"
        "    from poet_tui import cli\n"
        "    return importlib.import_module('poet_tui.app.modals')\n"
    )
    problems = layering_problems(source, "poet_tui.bench.harness")
    assert [problem.split(":")[0] for problem in problems] == [
        f"poet_tui.bench.harness line {line}" for line in (4, 6, 7, 8, 9)
    ]
    assert "`import textual.widgets` imports textual.widgets" in problems[1]
    assert "imports poet_tui.cli" in problems[2] and "imports poet_tui.cli" in problems[3]
    assert layering_problems("def f():\n    from .. import cli\n", "poet_tui.app.train_form") == [
        "poet_tui.app.train_form line 2: `from .. import cli` imports poet_tui.cli"
    ]
    assert layering_problems("from .modals import ConfirmQuit\nimport textual\n", "poet_tui.app.app") == []
    assert layering_problems("def f():\n    from poet_tui.app import run_app\n", "poet_tui.cli.main") == []


def test_importing_the_engine_and_the_commands_loads_no_textual() -> None:
    """Every engine and CLI module, imported together: `poet train` and `poet generate` never pay for textual."""
    modules = [module.name for module in package_modules() if not within(module.name, APP, ENTRY_POINT)]
    assert loaded_among(modules_loaded_by(*modules), *UI_LIBRARIES) == []


def test_the_commands_load_no_web_server_until_poet_serve_serves() -> None:
    """textual-serve and aiohttp are the optional `serve` extra: `poet serve` imports them when it starts serving,
    so every other command (and the help) works without them and never pays for them."""
    modules = [module.name for module in package_modules() if within(module.name, CLI)]
    assert loaded_among(modules_loaded_by(*modules), "textual_serve", "aiohttp") == []


def test_the_cli_entry_point_does_not_import_torch_until_a_command_needs_it() -> None:
    assert loaded_among(modules_loaded_by("poet_tui.cli.main"), "torch") == []


def test_building_the_parser_loads_neither_shtab_nor_the_config_file() -> None:
    """`poet --help` builds the whole parser: the completion generator and the config reader stay unloaded
    until `poet completion` or a command asks (the config file itself is read only then)."""
    then = "poet_tui.cli.main.build_parser()\nimport poet_tui.user_config\nassert not poet_tui.user_config._loaded"
    assert loaded_among(modules_loaded_by("poet_tui.cli.main", then=then), "shtab", "textual", "torch") == []


def test_listing_runs_and_holding_sampling_settings_does_not_import_torch() -> None:
    """The app lists checkpoints and edits sampling settings before torch has loaded in the background."""
    loaded = modules_loaded_by(
        "poet_tui.runs", "poet_tui.run_catalog", "poet_tui.checkpoint", "poet_tui.sampling_settings",
        "poet_tui.config", "poet_tui.run_progress", "poet_tui.corpus_registry",
    )  # fmt: skip
    assert loaded_among(loaded, "torch") == []


def test_metrics_out_and_the_training_log_import_neither_torch_nor_tensorboard_until_used() -> None:
    """`poet metrics` builds its parser on every `poet` start, and the app keeps a child's stderr before torch."""
    loaded = modules_loaded_by(
        "poet_tui.metrics_export", "poet_tui.tensorboard_export", "poet_tui.train_log",
        "poet_tui.cli.metrics_command", "poet_tui.cli.json_output",
    )  # fmt: skip
    assert loaded_among(loaded, "torch", "tensorboard") == []


def test_the_export_command_and_the_export_reader_do_not_import_torch() -> None:
    """`poet export --help` stays fast, and telling an export folder from a run name needs no torch."""
    loaded = modules_loaded_by("poet_tui.cli.export_command", "poet_tui.exported_model", "poet_tui.model_card")
    assert loaded_among(loaded, "torch", "onnx", "onnxruntime") == []


def test_combining_and_listing_corpora_imports_neither_torch_nor_numpy() -> None:
    """`poet corpora combine|list|show` and the Corpus pane read combined corpora without the training stack;
    only the epoch's draw (corpus_mixture.py, for training and the overlap index) needs more."""
    loaded = modules_loaded_by(
        "poet_tui.cli.combine_command", "poet_tui.cli.corpora_command", "poet_tui.corpus_combination",
        "poet_tui.combined_corpus",
    )  # fmt: skip
    assert loaded_among(loaded, "torch", "numpy") == []


def test_the_gutenberg_library_loads_neither_torch_nor_textual_and_the_parser_not_the_library() -> None:
    """The app searches the catalogue in a worker before torch has loaded; `poet --help` builds the Gutenberg
    sub-commands without importing the engine behind them (urllib, csv, the registry)."""
    assert loaded_among(modules_loaded_by("poet_tui.gutenberg"), "torch", "textual") == []
    then = "poet_tui.cli.main.build_parser()"
    assert loaded_among(modules_loaded_by("poet_tui.cli.main", then=then), "poet_tui.gutenberg", "urllib.request") == []


def test_the_gutenberg_dialog_needs_no_torch_and_the_app_loads_it_only_when_opened() -> None:
    """ctrl+g works before torch has loaded in the background, and the app's first frame never pays for the
    Gutenberg engine (urllib, csv): the dialog's modules load when it opens."""
    assert loaded_among(modules_loaded_by("poet_tui.app.gutenberg_dialog"), "torch") == []
    loaded = modules_loaded_by("poet_tui.app.app")
    assert loaded_among(loaded, "poet_tui.gutenberg", "poet_tui.app.gutenberg_dialog", "urllib.request") == []
