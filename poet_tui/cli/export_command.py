"""`poet export RUN_OR_CHECKPOINT DIR`: a model others can load, with poet-tui or with plain PyTorch."""

from __future__ import annotations

import argparse
import shlex

from poet_tui.cli.main import EXIT_OK
from poet_tui.errors import PoetError

EXPORT_HELP = "write a model as a self-contained folder others can load (poet-tui or plain PyTorch)"
EXPORT_DESCRIPTION = (
    "Write a run's model (its best checkpoint, or the checkpoint named) into DIR: config.json, model.safetensors, "
    "the tokenizer (vocabulary.json or sentencepiece.model) and a README.md model card with a plain-PyTorch "
    "snippet. `poet generate DIR` and `poet --checkpoint DIR` load it."
)


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "model", metavar="RUN_OR_CHECKPOINT", help="a run name (or its start), run folder or checkpoint file"
    )
    parser.add_argument(
        "folder", metavar="DIR", help="the folder to write: created if missing; must be empty unless --force"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="export into a folder that is not empty, replacing only the files export writes (nothing else is touched)",
    )
    parser.add_argument(
        "--onnx",
        action="store_true",
        help="also write model.onnx (one step: token and state in, logits and state out), checked against PyTorch "
        "with onnxruntime; needs the onnx extra: pip install 'poet-tui[onnx]'",
    )


def export_command(arguments: argparse.Namespace) -> int:
    from poet_tui.export import export_model

    if not arguments.model.strip():
        raise PoetError("say which model to export: a run name (or its start), a run folder or a checkpoint file.")
    result = export_model(arguments.model, arguments.folder, force=arguments.force, onnx=arguments.onnx)
    config = result.config
    bpc = config.get("val_bpc")
    figures = f"step {config['step']:,}" + (f", {bpc:.3f} bits/char" if bpc is not None else "")
    print(f"Exported {result.source} ({figures}) to {result.folder}:")
    print("  " + "  ".join(result.files))
    if result.onnx_difference is not None:
        print(f"  model.onnx matches PyTorch to {result.onnx_difference:.1e} (onnxruntime)")
    shown = shlex.quote(arguments.folder)
    print(f"Use it: poet generate {shown} · poet --checkpoint {shown} · plain PyTorch: its README.md")
    return EXIT_OK
