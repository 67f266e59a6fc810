#!/usr/bin/python3
"""torch_training.py OUT.safetensors — the seed network trained by the real PyTorch, for the
engine's end-to-end check (tests/engine_training_test.cpp).

Builds the seed net with PyTorch's default initialisation, draws 10 batches of 16 images and
labels, and trains 100 steps with SGD (lr 0.05, momentum 0.9, weight decay 1e-4) and, from the
same start, 100 steps with Adam (lr 1e-3), and again from the same start 100 with Adam and label
smoothing 0.1 (adam_smooth), cycling through the batches in order. Stores the initial weights (init.<name>), the
batches, the loss of every step and the final weights (sgd.<name>, adam.<name>,
adam_smooth.<name>); the engine repeats the runs and must end on the same weights.
"""
import sys

import torch
import torch.nn.functional as F

from torch_common import SeedNet, write_safetensors

torch.manual_seed(2026)
torch.set_num_threads(1)


BATCHES, BATCH, STEPS = 10, 16, 100
# learnable images: faint noise with a bright bar whose row says the label
labels = torch.randint(0, 10, (BATCHES, BATCH))
images = torch.rand(BATCHES, BATCH, 1, 28, 28) * 0.3
for b in range(BATCHES):
    for i in range(BATCH):
        row = 4 + 2 * int(labels[b, i])
        images[b, i, 0, row:row + 2, 4:24] = 1.0
start = SeedNet()
tensors = {f"init.{k}": v for k, v in start.state_dict().items()}
tensors["images"] = images
tensors["labels"] = labels.float()

for kind in ["sgd", "adam", "adam_smooth"]:
    net = SeedNet()
    net.load_state_dict(start.state_dict())
    if kind == "sgd":
        opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    else:
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    losses = []
    for step in range(STEPS):
        b = step % BATCHES
        opt.zero_grad()
        loss = F.cross_entropy(net(images[b]), labels[b], label_smoothing=0.1 if kind == "adam_smooth" else 0.0)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    tensors[f"{kind}.losses"] = torch.tensor(losses)
    for k, v in net.state_dict().items():
        tensors[f"{kind}.{k}"] = v


write_safetensors(sys.argv[1], tensors, {"steps": str(STEPS), "torch": torch.__version__})
print(f"torch_training: sgd loss {tensors['sgd.losses'][0]:.4f} -> {tensors['sgd.losses'][-1]:.4f}, "
      f"adam loss {tensors['adam.losses'][0]:.4f} -> {tensors['adam.losses'][-1]:.4f}, "
      f"adam with label smoothing {tensors['adam_smooth.losses'][0]:.4f} -> {tensors['adam_smooth.losses'][-1]:.4f} -> {sys.argv[1]}")
