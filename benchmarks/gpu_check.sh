#!/usr/bin/env bash
# Everything only a GPU can show, for a session whose task is lent the device machine. Two stages, one device
# call each (each stays under the tool's 10-minute limit):
#
#   checks  the CUDA tests (bf16 training, a real out-of-memory, CUDA-graph sampling = eager text, NVML, the
#           app's memory panel on real NVML + torch figures) and issue 2's one-minute runs with --device cuda
#           and bf16 for char, word and spm, each followed by `poet generate`
#   bench   `poet bench` at the issue's sizes on Tiny Shakespeare, plus sampling with graphs off for contrast
#
# Before the calls, on the developer machine, from the repository root (the device's Python has torch, rich,
# sentencepiece, safetensors, nvidia-ml-py, pytest and hypothesis, but not textual; ../shared does not travel):
#   echo /.whl/ >> .git/info/exclude; echo /.data/ >> .git/info/exclude
#   mkdir -p .data && cp ../shared/data/tinyshakespeare.txt .data/
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#       --platform manylinux2014_x86_64 -d .whl textual textual-plotext plotext platformdirs \
#       mdit-py-plugins linkify-it-py uc-micro-py
# then run with the device tool, carrying [".whl", ".data"]:  bash benchmarks/gpu_check.sh checks   (and: bench)
# Output lands in $OUT (the tool brings it back); paste the figures into benchmarks/RESULTS.md.
set -uo pipefail
stage=${1:-checks}
out=${OUT:-/tmp/gpu-check}
mkdir -p "$out"
if compgen -G ".whl/*.whl" >/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site:$PWD
else
    export PYTHONPATH=$PWD
fi
POET_HOME=$(mktemp -d)
export POET_HOME PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"
git rev-parse --short HEAD 2>/dev/null | tee "$out/commit.txt"

if [ "$stage" = checks ]; then
    python3 -m pytest tests/test_cuda.py tests/app/test_cuda_app.py -q -p no:cacheprovider 2>&1 | tee "$out/cuda_tests.txt"
    for tokenizer in char word spm; do
        python3 -m poet_tui train --corpus shakespeare-sonnets --tokenizer "$tokenizer" --device cuda \
            --precision bf16 --max-minutes 1 --jsonl > "$out/train_$tokenizer.jsonl"
        echo "train $tokenizer exit $?"
        grep -E '"event":"(start|eval|done|error|notice)"' "$out/train_$tokenizer.jsonl" | cut -c1-240
        run=$(head -1 "$out/train_$tokenizer.jsonl" | python3 -c "import json, sys; print(json.load(sys.stdin)['run'])")
        python3 -m poet_tui generate "$run" --prompt "Shall I" --length 200 --seed 1 --device cuda | tee "$out/generate_$tokenizer.txt"
        echo
    done
elif [ "$stage" = bench ]; then
    corpus=${2:-.data/tinyshakespeare.txt}
    python3 -m poet_tui bench --device cuda --corpus "$corpus" > "$out/bench.jsonl" 2> "$out/bench_table.txt"
    echo "bench exit $?"
    cat "$out/bench_table.txt"
    POET_CUDA_GRAPHS=0 python3 -m poet_tui bench --device cuda --corpus "$corpus" --cases sample-char --json \
        | tee "$out/bench_sample_eager.jsonl"
else
    echo "usage: bash benchmarks/gpu_check.sh checks|bench [TINY_SHAKESPEARE_PATH]" >&2
    exit 2
fi
