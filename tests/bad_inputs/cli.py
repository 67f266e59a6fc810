#!/usr/bin/python3
"""cli.py TRAINER... — the catalogue's command-line cases: cnnlab-train with every option given a
bad value, an unknown option, and files that are not what they claim. Each case names the
arguments, the exit code (2: bad usage, 1: a failure, 0: done) and the exact first line the
program writes on stderr; a refused run must not write the file --save names. Every TRAINER (the
native program, "node .../cnnlab-train.js") runs every case. Prints "N passed, N failed".
"""
import os
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = "build/datasets/mnist"
WORK = "out/test/bad-cli"

# (id, what it is, arguments, exit code, first line on stderr: exact)
CASES = [
    ("no-arguments", "nothing at all", [], 2, "cnnlab-train: --data DIR is required"),
    ("unknown-option", "an option that does not exist", ["--data", DATA, "--turbo", "1"], 2, "cnnlab-train: unknown option --turbo"),
    ("missing-value", "--lr with nothing after it", ["--data", DATA, "--lr"], 2, "cnnlab-train: --lr needs a value (or is unknown)"),
    ("lr-word", "--lr fast", ["--data", DATA, "--lr", "fast"], 2, "cnnlab-train: --lr takes a number more than 0 and at most 10"),
    ("lr-nan", "--lr nan", ["--data", DATA, "--lr", "nan"], 2, "cnnlab-train: --lr takes a number more than 0 and at most 10"),
    ("lr-1e30", "--lr 1e30", ["--data", DATA, "--lr", "1e30"], 2, "cnnlab-train: --lr takes a number more than 0 and at most 10"),
    ("lr-zero", "--lr 0", ["--data", DATA, "--lr", "0"], 2, "cnnlab-train: --lr takes a number more than 0 and at most 10"),
    ("lr-trailing", "--lr 0.1x", ["--data", DATA, "--lr", "0.1x"], 2, "cnnlab-train: --lr takes a number more than 0 and at most 10"),
    ("epochs-1e9", "--epochs 1e9", ["--data", DATA, "--epochs", "1e9"], 2, "cnnlab-train: --epochs takes a whole number from 1 to 1000"),
    ("epochs-fraction", "--epochs 2.5", ["--data", DATA, "--epochs", "2.5"], 2, "cnnlab-train: --epochs takes a whole number from 1 to 1000"),
    ("batch-zero", "--batch 0", ["--data", DATA, "--batch", "0"], 2, "cnnlab-train: --batch takes a whole number from 1 to 4096"),
    ("batch-huge", "--batch 100000", ["--data", DATA, "--batch", "100000"], 2, "cnnlab-train: --batch takes a whole number from 1 to 4096"),
    ("steps-negative", "--steps -5", ["--data", DATA, "--steps", "-5"], 2, "cnnlab-train: --steps takes a whole number from 0"),
    ("log-every-zero", "--log-every 0", ["--data", DATA, "--log-every", "0"], 2, "cnnlab-train: --log-every takes a whole number from 1"),
    ("seed-negative", "--seed -1", ["--data", DATA, "--seed", "-1"], 2, "cnnlab-train: --seed takes a whole number from 0"),
    ("momentum-one", "--momentum 1", ["--data", DATA, "--momentum", "1"], 2, "cnnlab-train: --momentum takes a number from 0 to below 1"),
    ("label-smoothing-2", "--label-smoothing 2", ["--data", DATA, "--label-smoothing", "2"], 2, "cnnlab-train: --label-smoothing takes a number from 0 to 1"),
    ("weight-decay-negative", "--weight-decay -0.1", ["--data", DATA, "--weight-decay", "-0.1"], 2, "cnnlab-train: --weight-decay takes a number from 0 to below 1"),
    ("optimizer-unknown", "--optimizer rmsprop", ["--data", DATA, "--optimizer", "rmsprop"], 2, "cnnlab-train: --optimizer takes sgd or adam (not rmsprop)"),
    ("recipe-without-preset", "--recipe with a model file", ["--data", DATA, "--model", WORK + "/bad-model.json", "--recipe"], 2,
     "cnnlab-train: --recipe needs a preset (--model " + WORK + "/bad-model.json is not one)"),
    ("data-missing", "--data naming a folder that does not exist", ["--data", WORK + "/nowhere", "--steps", "1"], 1,
     "cnnlab-train: cannot read " + WORK + "/nowhere/train-images-idx3-ubyte(.gz): is --data the folder with the IDX files?"),
    ("data-corrupt", "--data with a training-images file that is text", ["--data", WORK + "/corrupt-data", "--steps", "1"], 1,
     "cnnlab-train: " + WORK + "/corrupt-data/train-images-idx3-ubyte: not an IDX file (it should start with two zero bytes)"),
    ("model-missing", "--model naming a file that does not exist", ["--data", DATA, "--model", WORK + "/none.json"], 1,
     "cnnlab-train: --model: cannot open " + WORK + "/none.json (use a preset: seed, seed-bn, residual, wide, deep, mlp; or a JSON description file)"),
    ("model-impossible", "--model with a 30x30 kernel on 28x28 pictures", ["--data", DATA, "--model", WORK + "/bad-model.json"], 1,
     "cnnlab-train: model: layer 0 (0, conv): the kernel window covers 30 rows but the padded input has only 28 (28), so the window never fits: no output. Use a smaller kernel or dilation, or more padding"),
    ("model-nested", "--model with a description nested 100,000 levels", ["--data", DATA, "--model", WORK + "/nested-model.json"], 1,
     "cnnlab-train: model: the description is nested 100001 levels deep; at most 64 are allowed"),
    ("init-missing", "--init naming a file that does not exist", ["--data", DATA, "--init", WORK + "/none.safetensors", "--steps", "1"], 1,
     "cnnlab-train: --init: cannot open " + WORK + "/none.safetensors"),
    ("init-not-weights", "--init with a text file", ["--data", DATA, "--init", WORK + "/bad-model.json", "--steps", "1"], 1,
     "cnnlab-train: --init: " + WORK + "/bad-model.json: safetensors: the header claims 2482738420337156731 bytes but the file has only 121 after the length: truncated or not a safetensors file"),
    ("save-unwritable", "--save into a folder that does not exist", ["--data", DATA, "--steps", "1", "--save", WORK + "/nowhere/w.safetensors"], 1,
     "cnnlab-train: --save: cannot write " + WORK + "/nowhere/w.safetensors"),
    ("batch-larger-than-data", "--batch 512 on a data set of 50 pictures: one batch of 50 per epoch", ["--data", WORK + "/tiny-data", "--batch", "512", "--epochs", "2", "--log-every", "1"], 0, ""),
]


def make_inputs():
    os.makedirs(WORK + "/corrupt-data", exist_ok=True)
    os.makedirs(WORK + "/tiny-data", exist_ok=True)
    with open(WORK + "/bad-model.json", "w") as f:
        f.write('{"input": [1, 28, 28], "layers": [{"type": "conv", "out": 4, "kernel": 30}, {"type": "flatten"}, {"type": "linear", "out": 10}]}\n')
    with open(WORK + "/nested-model.json", "w") as f:
        f.write('{"input": [1, 28, 28], "layers": ' + "[" * 100000 + "]" * 100000 + "}")
    with open(WORK + "/corrupt-data/train-images-idx3-ubyte", "w") as f:
        f.write("not a dataset\n")
    for name in ["train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]:
        with open(WORK + "/corrupt-data/" + name, "wb") as f:
            f.write(b"\0\0\x08\x01\0\0\0\0")

    def idx(dims, values):
        return bytes([0, 0, 8, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims) + bytes(values)
    for prefix, n in [("train", 50), ("t10k", 20)]:
        with open(WORK + "/tiny-data/%s-images-idx3-ubyte" % prefix, "wb") as f:
            f.write(idx([n, 28, 28], [(i * 7) % 256 for i in range(n * 784)]))
        with open(WORK + "/tiny-data/%s-labels-idx1-ubyte" % prefix, "wb") as f:
            f.write(idx([n], [i % 10 for i in range(n)]))


def main(trainers):
    make_inputs()
    passed = failed = 0
    for trainer in trainers:
        for case_id, what, args, code, first_line in CASES:
            run = subprocess.run(shlex.split(trainer) + args, capture_output=True, text=True, timeout=120)
            got = run.stderr.splitlines()[0] if run.stderr.strip() else ""
            problems = []
            if run.returncode != code:
                problems.append("exit code %d, not %d" % (run.returncode, code))
            if got != first_line:
                problems.append("stderr's first line is\n    %r\n  and should be\n    %r" % (got, first_line))
            if code != 0 and os.path.exists(WORK + "/nowhere"):
                problems.append("a refused run made " + WORK + "/nowhere")
            if problems:
                failed += 1
                print("FAIL %s [%s] (%s): %s" % (case_id, trainer, what, "; ".join(problems)))
            else:
                passed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
