#!/usr/bin/python3
"""torch_cli_check.py OUTDIR TRAINER... — cnnlab-train against the real PyTorch, on Fashion-MNIST.

1. PyTorch makes the seed net with its default initialisation and saves it as safetensors
   (PyTorch -> CNN Lab).
2. The trainer (each command given, e.g. build/native/cnnlab-train, or node ... cnnlab-train.js)
   loads it with --init, trains 60 SGD steps on the training images in file order
   (--no-shuffle), prints the test accuracy and saves its weights with --save.
3. PyTorch trains the same 60 steps from the same start, loads the trainer's file into the same
   network with load_state_dict(strict=True) (CNN Lab -> PyTorch), and compares: the weights must
   agree to 1e-4, and the trainer's test accuracy must be what PyTorch measures for its weights.
Prints PASS/FAIL lines and "cli: N passed, N failed".
"""
import gzip
import os
import re
import struct
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

from torch_common import SeedNet, read_safetensors, write_safetensors

DATA = "/usr/share/datasets/fashion-mnist"
STEPS, BATCH, LR, MOMENTUM = 60, 32, 0.05, 0.9
torch.set_num_threads(1)
passed = failed = 0


def check(ok, what):
    global passed, failed
    print(("PASS " if ok else "FAIL ") + what, flush=True)
    if ok:
        passed += 1
    else:
        failed += 1


def read_idx(name):
    with gzip.open(os.path.join(DATA, name)) as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


outdir = sys.argv[1]
trainers = sys.argv[2:]
os.makedirs(outdir, exist_ok=True)
torch.manual_seed(7)
start = SeedNet()
init_path = os.path.join(outdir, "init.safetensors")
write_safetensors(init_path, start.state_dict())

train_x = torch.from_numpy(read_idx("train-images-idx3-ubyte.gz")[:STEPS * BATCH].astype(np.float32) / 255.0).unsqueeze(1)
train_y = torch.from_numpy(read_idx("train-labels-idx1-ubyte.gz")[:STEPS * BATCH].astype(np.int64))
test_x = torch.from_numpy(read_idx("t10k-images-idx3-ubyte.gz").astype(np.float32) / 255.0).unsqueeze(1)
test_y = torch.from_numpy(read_idx("t10k-labels-idx1-ubyte.gz").astype(np.int64))

net = SeedNet()
net.load_state_dict(start.state_dict())
opt = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)
for step in range(STEPS):
    opt.zero_grad()
    F.cross_entropy(net(train_x[step * BATCH:(step + 1) * BATCH]), train_y[step * BATCH:(step + 1) * BATCH]).backward()
    opt.step()
torch_state = net.state_dict()

for i, trainer in enumerate(trainers):
    label = trainer.split()[-1]
    saved = os.path.join(outdir, f"trained{i}.safetensors")
    command = trainer.split() + ["--data", DATA, "--init", init_path, "--save", saved, "--steps", str(STEPS), "--no-shuffle",
                                 "--batch", str(BATCH), "--optimizer", "sgd", "--lr", str(LR), "--momentum", str(MOMENTUM)]
    run = subprocess.run(command, capture_output=True, text=True)
    print(run.stdout.strip())
    check(run.returncode == 0, f"{label} ran ({run.stderr.strip()[:300]})")
    if run.returncode != 0:
        continue
    ours = read_safetensors(saved)
    mine = SeedNet()
    try:
        mine.load_state_dict(ours, strict=True)
        check(True, f"{label}: its saved weights load into PyTorch's seed net (strict)")
    except Exception as e:  # noqa: BLE001 - report any failure to load
        check(False, f"{label}: its saved weights load into PyTorch's seed net: {e}")
        continue
    worst = max((ours[k] - torch_state[k]).abs().max().item() for k in torch_state)
    check(worst < 1e-4, f"{label}: after {STEPS} steps the weights match PyTorch's: largest difference {worst:.2e}")
    with torch.no_grad():
        accuracy = (mine(test_x).argmax(1) == test_y).float().mean().item()
    m = re.search(r"test accuracy ([0-9.]+)", run.stdout)
    reported = float(m.group(1)) if m else -1
    check(abs(reported - accuracy) <= 2e-4,
          f"{label}: reports test accuracy {reported:.4f}; PyTorch measures {accuracy:.4f} for its weights")

print(f"cli: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
