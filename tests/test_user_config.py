"""The config file: where it is, what it may say, who wins (flag > environment > file > default), and one
sentence naming the file and the setting for everything it may not say; `poet config` shows the outcome."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from pathlib import Path

import platformdirs
import pytest

from poet_tui import user_config
from poet_tui.cli.main import build_parser, main
from poet_tui.cli.train_arguments import config_from_arguments
from poet_tui.errors import PoetError
from poet_tui.paths import poet_home
from poet_tui.user_config import config_path, default_device, load_user_config


@pytest.fixture(autouse=True)
def fresh_reads() -> Iterator[None]:
    """Each test writes its own file; the once-per-process cache must not carry one test's into the next."""
    user_config.forget_loaded_configs()
    yield
    user_config.forget_loaded_configs()


@pytest.fixture
def config_file() -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    user_config.forget_loaded_configs()
    return path


def train_arguments(*flags: str) -> argparse.Namespace:
    return build_parser().parse_args(["train", "--corpus", "shakespeare-sonnets", *flags])


def test_poet_config_is_the_env_variable_else_the_platform_config_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POET_CONFIG")
    assert config_path() == platformdirs.user_config_path("poet-tui") / "config.toml"
    monkeypatch.setenv("POET_CONFIG", "~/elsewhere.toml")
    assert config_path() == Path.home() / "elsewhere.toml"


def test_no_file_means_every_default(poet_home: Path) -> None:
    config = load_user_config()
    assert not config.exists and config.train == {} and config.device is None and config.theme is None
    assert default_device() == "auto"
    assert config_from_arguments(train_arguments()).model.hidden_size == 256


def test_data_home_env_then_file_then_default(
    config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(config_file, f'data_home = "{tmp_path / "from file"}"\n')
    assert poet_home() == Path(os.environ["POET_HOME"])  # the environment wins
    monkeypatch.delenv("POET_HOME")
    assert poet_home() == tmp_path / "from file"
    write(config_file, 'data_home = "~/poems here"\n')
    assert poet_home() == Path.home() / "poems here"
    write(config_file, "")
    assert poet_home() == platformdirs.user_data_path("poet-tui")


def test_device_flag_then_file_then_default(config_file: Path) -> None:
    write(config_file, 'device = "cpu"\n')
    assert config_from_arguments(train_arguments()).training.device == "cpu"
    assert config_from_arguments(train_arguments("--device", "cuda")).training.device == "cuda"
    assert default_device() == "cpu"
    assert "--device=cpu" in config_from_arguments(train_arguments()).to_argv()  # what the training child gets


def test_generate_and_bench_take_the_file_s_device_unless_a_flag_says(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import poet_tui.cli.bench_command

    seen: list[str] = []
    monkeypatch.setattr(
        poet_tui.cli.bench_command, "bench_command", lambda arguments: seen.append(arguments.device) or 0
    )
    write(config_file, 'device = "cpu"\n')
    assert main(["bench", "--quick"]) == main(["bench", "--quick", "--device", "cuda"]) == 0
    assert seen == ["cpu", "cuda"]


def test_train_table_defaults_sit_under_the_preset_and_the_flags(config_file: Path) -> None:
    write(
        config_file,
        '[train]\nhidden = 512\nlayers = 1\nlr = 0.001\nbatch-size = "auto"\nmax-minutes = 2.5\ntied = true\n',
    )
    config = config_from_arguments(train_arguments())
    assert config.model.hidden_size == 512 and config.model.num_layers == 1 and config.model.tied
    assert config.training.learning_rate == 0.001 and config.training.max_minutes == 2.5
    assert config.training.auto_batch_size
    flagged = config_from_arguments(train_arguments("--hidden", "64", "--batch-size", "8"))
    assert flagged.model.hidden_size == 64 and flagged.training.batch_size == 8
    assert not flagged.training.auto_batch_size  # a size given replaces the file's "auto"
    preset = config_from_arguments(train_arguments("--preset", "char-gpu"))
    assert preset.model.num_layers == 3 and preset.training.batch_size == 256  # char-gpu's: 3 × 512, batch 256
    assert not preset.training.auto_batch_size and preset.training.learning_rate == 3e-3


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ('devise = "cpu"\n', ["'devise'", "Did you mean 'device'?"]),
        ('device = "gpu"\n', ["device must be auto, cpu or cuda, not 'gpu'"]),
        ("device = 1\n", ["device must be"]),
        ('data_home = "poems"\n', ["data_home must be an absolute path", "'poems'"]),
        ("data_home = 3\n", ["data_home must be a folder's path"]),
        ("theme = 7\n", ["theme must be a theme's name"]),
        ("train = 3\n", ["train must be a table"]),
        ("[train]\nhiden = 3\n", ["[train] hiden", "Did you mean 'hidden'?"]),
        ("[train]\nbatch_size = 3\n", ["[train] batch_size", "Did you mean 'batch-size'?"]),
        ('[train]\nhidden = "big"\n', ["[train] hidden must be a whole number, not 'big'"]),
        ("[train]\nhidden = 0\n", ["[train] hidden must be at least 1"]),
        ("[train]\ndropout = 1.5\n", ["[train] dropout must be in [0, 1)"]),
        ("[train]\nlr = nan\n", ["[train] lr must be a finite number"]),
        ('[train]\ntokenizer = "bytes"\n', ["[train] tokenizer must be char, word or spm"]),
        ('[train]\ndevice = "cpu"\n', ["[train] device", "top of the file"]),
        ('[train]\ncorpus = "tang300"\n', ["[train] corpus", "--corpus"]),
        ("device = \n", ["is not valid TOML", "line 1"]),
        ("[train]\n[train]\n", ["is not valid TOML"]),
    ],
)
def test_each_bad_setting_is_one_sentence_naming_the_file_and_the_setting(
    config_file: Path, text: str, fragments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    write(config_file, text)
    with pytest.raises(PoetError) as raised:
        load_user_config()
    message = str(raised.value)
    assert str(config_file) in message and all(fragment in message for fragment in fragments), message
    assert main(["corpora", "list"]) == 2  # every command refuses to go on
    error = capsys.readouterr().err
    assert error.startswith("poet: ") and error.count("\n") == 1 and str(config_file) in error


def test_a_file_that_is_no_text_file_is_one_sentence(config_file: Path) -> None:
    config_file.write_bytes(b'theme = "caf\xe9"\n')
    with pytest.raises(PoetError, match="not UTF-8 text"):
        user_config.read_user_config(config_file)
    config_file.write_bytes(b"\0" * 10)
    with pytest.raises(PoetError, match="not valid TOML"):
        user_config.read_user_config(config_file)
    config_file.write_text("x = " + "[" * 20_000 + "]" * 20_000 + "\n", encoding="utf-8")
    with pytest.raises(PoetError, match="nested too deeply"):
        user_config.read_user_config(config_file)
    config_file.write_bytes(b'\xef\xbb\xbfdevice = "cpu"\n')  # a byte-order mark is no reason to refuse
    assert user_config.read_user_config(config_file).device == "cpu"
    config_file.write_bytes(b"# " + b"x" * 2**20 + b"\n")
    with pytest.raises(PoetError, match="over 1 MiB"):
        user_config.read_user_config(config_file)
    config_file.unlink()
    config_file.mkdir()
    with pytest.raises(PoetError, match="is a folder; remove it, or point POET_CONFIG at a TOML file"):
        user_config.read_user_config(config_file)


def test_a_fifo_in_its_place_never_hangs(config_file: Path) -> None:
    os.mkfifo(config_file)
    with pytest.raises(PoetError, match="not a regular file"):
        user_config.read_user_config(config_file)


def test_a_linked_config_is_followed_and_a_path_through_a_file_is_refused(
    config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = write(tmp_path / "dotfiles-config.toml", 'device = "cpu"\n')
    config_file.symlink_to(real)
    assert load_user_config().device == "cpu"
    monkeypatch.setenv("POET_CONFIG", str(real / "config.toml"))
    with pytest.raises(PoetError, match="a part of its path is a file"):
        load_user_config()


def test_unicode_and_spaces_in_paths_and_an_empty_file(config_file: Path, tmp_path: Path) -> None:
    write(config_file, f'# 詩\ndata_home = "{tmp_path / "données poétiques"}"\ntheme = "nord"\n')
    config = load_user_config()
    assert config.data_home == tmp_path / "données poétiques" and config.theme == "nord"
    write(config_file, "")
    assert load_user_config().exists and load_user_config().train == {}


def test_help_never_reads_the_config_and_config_shows_a_bad_one(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(config_file, 'device = "gpu"\n')
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    capsys.readouterr()
    assert main(["config"]) == 2
    shown = capsys.readouterr()
    assert str(config_file) in shown.out and "not 'gpu'" in shown.err


def test_poet_config_names_every_setting_and_where_it_came_from(
    config_file: Path, poet_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert "does not exist" in out and "environment (POET_HOME)" in out
    assert "device               auto" in out and "theme                textual-dark" in out
    write(config_file, 'device = "cpu"\ntheme = "nord"\n[train]\nhidden = 512\nbatch-size = "auto"\n')
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0] + (" " + line.split()[1] if line.startswith("[train]") else ""): line
             for line in out.splitlines()}  # fmt: skip
    assert "cpu" in lines["device"] and "config file" in lines["device"]
    assert "nord" in lines["theme"] and "config file" in lines["theme"]
    assert "512" in lines["[train] hidden"] and "auto" in lines["[train] batch-size"]
    (poet_home / "app-state.json").parent.mkdir(parents=True, exist_ok=True)
    (poet_home / "app-state.json").write_text('{"theme": "dracula"}', encoding="utf-8")
    assert main(["config"]) == 0
    theme_line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("theme"))
    assert "dracula" in theme_line and "picked in the app" in theme_line
    write(config_file, 'theme = "no-such-theme"\n')
    (poet_home / "app-state.json").unlink()
    assert main(["config"]) == 0
    theme_line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("theme"))
    assert "textual-dark" in theme_line and "'no-such-theme' is not a theme" in theme_line
