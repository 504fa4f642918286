"""`poet completion bash|zsh|fish`: each script is produced from the real parser and its shell accepts it; bash
and fish really complete sub-commands, flags, and run and corpus names (asked of `poet completion --list`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from poet_tui.cli.completion import COMPLETERS, NAMED_THINGS, SHELLS, completion_script, listed_names, parsers
from poet_tui.cli.main import build_parser, main

SHELL_CHECKS = {"bash": ["bash", "-n"], "zsh": ["zsh", "-n"], "fish": ["fish", "--no-execute"]}
RUNS = ("20250101-120000-tang300-char", "20250102-093000-shakespeare-sonnets-spm")


@pytest.fixture(scope="module")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("completion")
    written = {}
    for shell in SHELLS:
        written[shell] = folder / f"poet.{shell}"
        written[shell].write_text(completion_script(shell), encoding="utf-8")
    return written


@pytest.fixture
def runs(poet_home: Path) -> list[str]:
    """Two run folders as the store lists them (a name and a run.toml); a stray folder that is not a run."""
    for run_id in RUNS:
        (poet_home / "runs" / run_id).mkdir(parents=True)
        (poet_home / "runs" / run_id / "run.toml").write_text("", encoding="utf-8")
    (poet_home / "runs" / "not a run").mkdir()
    return list(RUNS)


def shell_environment() -> dict[str, str]:
    """`poet` on PATH, as the scripts call it to list names: the one beside this interpreter."""
    poet = Path(sys.executable).with_name("poet")
    if not poet.exists():
        pytest.skip("no `poet` script beside the interpreter (install the package)")
    return {**os.environ, "PATH": f"{poet.parent}{os.pathsep}{os.environ.get('PATH', '')}"}


@pytest.mark.parametrize("shell", SHELLS)
def test_the_script_is_printed_and_its_shell_accepts_it(
    shell: str, scripts: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["completion", shell]) == 0
    printed = capsys.readouterr().out
    assert printed == scripts[shell].read_text(encoding="utf-8")
    assert "generate" in printed and "max-minutes" in printed and "checkpoints" in printed
    check = SHELL_CHECKS[shell]
    if shutil.which(check[0]) is None:
        pytest.skip(f"{check[0]} is not installed")
    result = subprocess.run([*check, str(scripts[shell])], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_every_argument_that_names_a_run_or_a_corpus_completes_names() -> None:
    missing = [
        f"poet {' '.join(path)} {action.dest}"
        for path, parser in parsers(build_parser())
        for action in parser._actions
        if action.dest in NAMED_THINGS
        and (path, action.dest) not in COMPLETERS
        # a new name, which nothing could complete
        and (path, action.dest) not in ((("corpora", "add"), "name"), (("corpora", "gutenberg", "add"), "name"))
    ]
    assert missing == [], "add these to completion.COMPLETERS"


def bash_completions(script: Path, *words: str) -> list[str]:
    """What bash offers for the last of `words`, by driving the generated function as Tab would."""
    quoted = " ".join(f"'{word}'" for word in words)
    program = (
        f"source '{script}'\n"
        f"COMP_WORDS=({quoted}); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 )); COMPREPLY=()\n"
        "_shtab_poet\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
    )
    result = subprocess.run(
        ["bash", "-c", program], capture_output=True, text=True, timeout=60, env=shell_environment(), cwd=script.parent
    )
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line]


def test_bash_completes_commands_flags_choices_and_names(scripts: dict[str, Path], runs: list[str]) -> None:
    script = scripts["bash"]
    assert bash_completions(script, "poet", "tr") == ["train"]
    assert bash_completions(script, "poet", "train", "--cor") == ["--corpus"]
    assert bash_completions(script, "poet", "train", "--device", "c") == ["cpu", "cuda"]
    assert set(bash_completions(script, "poet", "corpora", "")) == {"list", "show", "add", "combine", "rm", "gutenberg"}
    assert bash_completions(script, "poet", "completion", "f") == ["fish"]
    assert bash_completions(script, "poet", "train", "--corpus", "tang") == ["tang300"]
    assert bash_completions(script, "poet", "train", "--resume", "2025") == sorted(runs, reverse=True)
    assert bash_completions(script, "poet", "generate", "20250102") == [runs[1]]
    assert bash_completions(script, "poet", "checkpoints", "show", "20250101") == [runs[0]]


def test_fish_completes_commands_and_names(scripts: dict[str, Path], runs: list[str]) -> None:
    if shutil.which("fish") is None:
        pytest.skip("fish is not installed")

    def fish_completions(line: str) -> list[str]:
        command = f"source '{scripts['fish']}'; complete -C '{line}'"
        result = subprocess.run(
            ["fish", "-c", command],
            capture_output=True,
            text=True,
            timeout=60,
            env=shell_environment(),
            cwd=scripts["fish"].parent,
        )
        assert result.returncode == 0, result.stderr
        return [entry.split("\t")[0] for entry in result.stdout.splitlines()]

    assert fish_completions("poet tr") == ["train"]
    assert fish_completions("poet train --cor") == ["--corpus"]
    assert fish_completions("poet generate 20250102") == [runs[1]]


def test_the_lists_name_runs_newest_first_and_every_corpus(runs: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "--list", "runs"]) == 0
    assert capsys.readouterr().out.split() == sorted(runs, reverse=True)
    assert {"shakespeare-sonnets", "tang300"} <= set(listed_names("corpora"))


def test_a_broken_setup_lists_nothing_and_says_nothing(
    poet_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    poet_home.mkdir(parents=True)
    (poet_home / "runs").write_text("not a folder", encoding="utf-8")
    (poet_home / "corpora").mkdir()
    (poet_home / "corpora" / "registry.toml").write_bytes(b"\xff\xfe not toml")
    assert main(["completion", "--list", "runs"]) == main(["completion", "--list", "corpora"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    config = Path(os.environ["POET_CONFIG"])
    config.parent.mkdir(parents=True)
    config.write_text("device = ", encoding="utf-8")  # a broken config does not break Tab either
    assert main(["completion", "--list", "runs"]) == 0
    assert main(["completion", "bash"]) == 0


def test_no_shell_is_one_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion"]) == 2
    assert "poet completion bash" in capsys.readouterr().err
    assert main(["completion", "powershell"]) == 2
    assert "invalid choice: 'powershell'" in capsys.readouterr().err
