#!/usr/bin/python3
"""torch_bench.py DATA_DIR [train_steps] — PyTorch (1 thread) on the same work as train_bench.cpp:
the seed net on Fashion-MNIST, Adam 1e-3, batch 32 for training, batch 256 for inference."""
import gzip
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(1)
data, steps, warmup, B, IB = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 600, 50, 32, 256


def read_idx(name):
    path = os.path.join(data, name)
    raw = gzip.open(path + ".gz").read() if os.path.exists(path + ".gz") else open(path, "rb").read()
    dims = raw[3]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(struct.unpack(">" + "I" * dims, raw[4:4 + 4 * dims]))


net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(),
                    nn.MaxPool2d(2), nn.Flatten(), nn.Linear(392, 32), nn.ReLU(), nn.Linear(32, 10))
x = torch.from_numpy(read_idx("train-images-idx3-ubyte").astype(np.float32) / 255).unsqueeze(1)
y = torch.from_numpy(read_idx("train-labels-idx1-ubyte").astype(np.int64))
tx = torch.from_numpy(read_idx("t10k-images-idx3-ubyte").astype(np.float32) / 255).unsqueeze(1)
ty = torch.from_numpy(read_idx("t10k-labels-idx1-ubyte").astype(np.int64))
order = torch.randperm(len(x))
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
for step in range(warmup + steps):
    if step == warmup:
        t0 = time.perf_counter()
    idx = order[(step * B) % (len(x) - B):][:B]
    opt.zero_grad()
    loss = F.cross_entropy(net(x[idx]), y[idx])
    loss.backward()
    opt.step()
train_rate = steps * B / (time.perf_counter() - t0)
with torch.no_grad():
    for p in range(2):
        t1 = time.perf_counter()
        correct = sum((net(tx[i:i + IB]).argmax(1) == ty[i:i + IB]).sum().item() for i in range(0, len(tx), IB))
        infer_rate = len(tx) / (time.perf_counter() - t1)
print(f"train_img_per_s {train_rate:.0f}\ninfer_img_per_s {infer_rate:.0f}\nfinal_loss {loss.item():.4f}\n"
      f"test_accuracy {correct / len(tx):.4f}")
