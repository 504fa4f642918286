"""The user's config file: `config.toml` in the platform's config directory (or `$POET_CONFIG`), for defaults.

poet only reads it; the user writes it. It holds `data_home` (the default of `$POET_HOME`), `device` (the
default of `--device` for train, generate and bench), `theme` (the app's theme when none was chosen in the app)
and a `[train]` table of defaults for `poet train`'s options, spelt as its flags are without the dashes
(`hidden = 512`, `batch-size = "auto"`), each checked by the option table's own rules. Anything else, or a
value that does not fit, is one sentence naming the file, the setting and what to do (a PoetError).

The file is read at most once per process and path, and only when something asks (tomllib is imported only
if the file exists), so `poet --help` never pays for it. No textual, no torch."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import platformdirs

from poet_tui.errors import PoetError, did_you_mean
from poet_tui.options import Device, Option, flagged

if TYPE_CHECKING:
    from poet_tui.config import RunConfig

CONFIG_ENV = "POET_CONFIG"
CONFIG_LIMIT_BYTES = 2**20  # a hand-written config is a few hundred bytes
TOP_LEVEL_KEYS = ("data_home", "device", "theme", "train")
# Not defaults a config file can give: the corpus is chosen per run, and the device has its own top-level key
# (it applies to generate and bench too).
NOT_IN_TRAIN = ("corpus", "training.device")
AUTO_KEYS = {"training.batch_size": "training.auto_batch_size"}


@dataclass(frozen=True)
class UserConfig:
    """What the file says, already checked. `train` maps option keys (`model.hidden_size`) to values."""

    path: Path
    exists: bool
    data_home: Path | None = None
    device: Device | None = None
    theme: str | None = None
    train: dict[str, Any] = field(default_factory=dict)


def config_path() -> Path:
    """`$POET_CONFIG` if set, else `config.toml` in the platform's user config directory for poet-tui."""
    override = os.environ.get(CONFIG_ENV)
    if override:
        return expanded(override)
    return platformdirs.user_config_path("poet-tui") / "config.toml"


def expanded(text: str) -> Path:
    """`~` expanded where it names a home; `~nobody/x` stays as typed."""
    try:
        return Path(text).expanduser()
    except RuntimeError:
        return Path(text)


_loaded: dict[Path, UserConfig | PoetError] = {}


def load_user_config() -> UserConfig:
    """The config at `config_path()`, read once per process (a PoetError once is a PoetError every time)."""
    path = config_path()
    if path not in _loaded:
        try:
            _loaded[path] = read_user_config(path)
        except PoetError as error:
            _loaded[path] = error
    loaded = _loaded[path]
    if isinstance(loaded, PoetError):
        raise PoetError(str(loaded))
    return loaded


def user_config_or_default() -> UserConfig:
    """The config, or an empty one when it has a problem: for places that must not fail (finding the data home
    in the app, which shows the problem itself; every `poet` command refuses a bad config before it starts)."""
    try:
        return load_user_config()
    except PoetError:
        return UserConfig(config_path(), exists=False)


def forget_loaded_configs() -> None:
    """Read the file again on the next ask (tests that rewrite it in place)."""
    _loaded.clear()


def fix_hint(path: Path) -> str:
    return f"(in {path}); correct it there or remove it (`poet config` shows every setting)."


def read_user_config(path: Path) -> UserConfig:
    text = read_text(path)
    if text is None:
        return UserConfig(path, exists=False)
    import tomllib

    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))  # a byte-order mark some editors write
    except tomllib.TOMLDecodeError as error:
        raise PoetError(f"{path} is not valid TOML ({error}); correct it there or remove the file.") from None
    except RecursionError:
        raise PoetError(f"{path} is nested too deeply to be a config file; correct it there or remove it.") from None
    return checked(path, data)


def read_text(path: Path) -> str | None:
    """The file's text; None when there is no file. Links are followed (dotfile managers link configs); a FIFO
    never hangs the read (O_NONBLOCK, then refused)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise PoetError(f"{path} cannot be a config file: a part of its path is a file; fix {CONFIG_ENV}.") from None
    except OSError as error:
        raise PoetError(
            f"the config file {path} could not be opened ({error.strerror or error}); check its permissions."
        ) from None
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
            raise PoetError(f"the config file {path} is {kind}; remove it, or point {CONFIG_ENV} at a TOML file.")
        os.set_blocking(descriptor, True)
        with os.fdopen(descriptor, "rb", closefd=False) as file:
            data = file.read(CONFIG_LIMIT_BYTES + 1)
    except OSError as error:
        raise PoetError(f"the config file {path} could not be read ({error.strerror or error}).") from None
    finally:
        os.close(descriptor)
    if len(data) > CONFIG_LIMIT_BYTES:
        raise PoetError(f"the config file {path} is over 1 MiB, which no config is; check that it is the right file.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PoetError(f"the config file {path} is not UTF-8 text (byte {error.start}); save it as UTF-8.") from None


def checked(path: Path, data: dict[str, Any]) -> UserConfig:
    """Every key known and every value fitting, or a PoetError naming the first that is not."""
    hint = fix_hint(path)
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            suggestion = did_you_mean(key, list(TOP_LEVEL_KEYS))
            raise PoetError(
                f"'{key}' in {path} is not a setting poet knows (data_home, device, theme, [train]); correct or "
                f"remove it.{suggestion}"
            )
    return UserConfig(
        path,
        exists=True,
        data_home=checked_data_home(data.get("data_home"), hint),
        device=checked_device(data.get("device"), hint),
        theme=checked_theme(data.get("theme"), hint),
        train=checked_train(data.get("train", {}), path, hint),
    )


def checked_data_home(value: Any, hint: str) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise PoetError(f"data_home must be a folder's path as a string, not {value!r} {hint}")
    if "\0" in value:
        raise PoetError(f"data_home holds a NUL character {hint}")
    home = expanded(value)
    if not home.is_absolute():
        raise PoetError(f"data_home must be an absolute path (or start with ~), not '{value}' {hint}")
    return home


def checked_device(value: Any, hint: str) -> Device | None:
    if value is None:
        return None
    devices = get_args(Device)
    if value not in devices:
        raise PoetError(f"device must be {', '.join(devices[:-1])} or {devices[-1]}, not {value!r} {hint}")
    return value


def checked_theme(value: Any, hint: str) -> str | None:
    """Only the type here: which themes exist is Textual's to say, and the engine never imports it (the app
    and `poet config` check the name)."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        raise PoetError(f'theme must be a theme\'s name, such as "nord", not {value!r} {hint}')
    return value


def train_option_names() -> dict[str, Option]:
    """The `[train]` keys: `poet train`'s flags without their dashes."""
    return {item.flag.removeprefix("--"): item for item in flagged() if item.flag and item.key not in NOT_IN_TRAIN}


def checked_train(value: Any, path: Path, hint: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PoetError(f"train must be a table ([train] on a line of its own, then its settings) {hint}")
    by_name = train_option_names()
    settings: dict[str, Any] = {}
    for name, setting in value.items():
        item = by_name.get(name)
        if item is None:
            raise PoetError(unknown_train_key(name, list(by_name), path, hint))
        if item.key in AUTO_KEYS and setting == "auto":
            settings[AUTO_KEYS[item.key]] = True
            continue
        problem = item.problem(setting, f"[train] {name}")
        if problem is not None:
            raise PoetError(f"{problem.removesuffix('.')} {hint}")
        settings[item.key] = setting
    return settings


def unknown_train_key(name: str, known: list[str], path: Path, hint: str) -> str:
    if name == "device":
        return f'[train] device: the device is set at the top of the file, as device = "cuda" {hint}'
    if name == "corpus":
        return f"[train] corpus: a corpus has no default; give it to each run with --corpus {hint}"
    suggestion = did_you_mean(name.replace("_", "-"), known)
    return (
        f"[train] {name} in {path} is not an option of `poet train` (the keys are its flags without the dashes, "
        f"as `poet train --help` lists them); correct or remove it.{suggestion}"
    )


# ----- what the rest of poet asks -----
def configured_data_home() -> Path | None:
    return user_config_or_default().data_home


def default_device() -> Device:
    """`--device`'s default for train, generate and bench: the config's `device`, else the option table's."""
    from poet_tui.options import default_of

    return user_config_or_default().device or default_of("training.device")


def run_defaults() -> dict[str, Any]:
    """The settings a new run starts from before a preset and flags: `device` and the `[train]` table, by option
    key (`training.device`, `model.hidden_size`, `training.auto_batch_size`)."""
    config = user_config_or_default()
    defaults = dict(config.train)
    if config.device is not None:
        defaults["training.device"] = config.device
    return defaults


def apply_run_defaults(config: RunConfig) -> RunConfig:
    """`config` with the user's defaults set over the option table's (a new run's starting point)."""
    from poet_tui.options import option

    for key, value in run_defaults().items():
        config.set_setting(option(key), value)
    return config
