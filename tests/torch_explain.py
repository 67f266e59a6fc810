#!/usr/bin/python3
"""torch_explain.py OUT.safetensors — the input gradient, FGSM, PGD, saliency and Grad-CAM of the
real PyTorch, for tests/engine_explain_test.cpp.

The seed net (torch_common.SeedNet) with PyTorch's default initialisation, trained 60 steps on
learnable pictures (a bright bar whose row says the label) so that its gradients mean something,
and a second net with batch norm (random running statistics) and dropout, used in eval mode, whose
input gradient checks the engine's eval-mode backward. Stored: the weights (seed.<name>,
bn.<name>), the pictures and labels, and for each what PyTorch computes:
  grad        d mean-loss / d x (F.cross_entropy, the mean over the batch)
  fgsm, fgsm_targeted                  eps 0.1, targets (label + 3) % 10
  pgd, pgd_targeted                    eps 0.1, step 0.02, 7 steps, no random start
  saliency    |d score_c / d x| for the first picture, c its label  (max over the one channel)
  gradcam/weights, gradcam/cam, gradcam/upsampled   at relu(conv2(...)), the first picture, c its label
"""
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_common import SeedNet, write_safetensors

torch.manual_seed(77)
torch.set_num_threads(1)

N = 8
labels = torch.randint(0, 10, (N,))
pictures = torch.rand(N, 1, 28, 28) * 0.3
for i in range(N):
    row = 4 + 2 * int(labels[i])
    pictures[i, 0, row:row + 2, 4:24] = 0.9

net = SeedNet()
opt = torch.optim.Adam(net.parameters(), lr=3e-3)
for step in range(60):
    y = torch.randint(0, 10, (32,))
    x = torch.rand(32, 1, 28, 28) * 0.3
    for i in range(32):
        x[i, 0, 4 + 2 * int(y[i]):6 + 2 * int(y[i]), 4:24] = 0.9
    opt.zero_grad()
    F.cross_entropy(net(x), y).backward()
    opt.step()
net.eval()
out = {f"seed.{k}": v for k, v in net.state_dict().items()}
out["pictures"] = pictures
out["labels"] = labels.float()
targets = (labels + 3) % 10
out["targets"] = targets.float()


def input_grad(model, x, y):
    x = x.clone().requires_grad_(True)
    F.cross_entropy(model(x), y).backward()
    return x.grad.detach()


def fgsm(model, x, y, eps, targeted):
    g = input_grad(model, x, y)
    return (x - eps * g.sign() if targeted else x + eps * g.sign()).clamp(0, 1)


def pgd(model, x, y, eps, step, steps, targeted):
    a = x.clone()
    for _ in range(steps):
        g = input_grad(model, a, y)
        a = a - step * g.sign() if targeted else a + step * g.sign()
        a = torch.min(torch.max(a, x - eps), x + eps).clamp(0, 1)
    return a


out["grad"] = input_grad(net, pictures, labels)
out["fgsm"] = fgsm(net, pictures, labels, 0.1, False)
out["fgsm_targeted"] = fgsm(net, pictures, targets, 0.1, True)
out["pgd"] = pgd(net, pictures, labels, 0.1, 0.02, 7, False)
out["pgd_targeted"] = pgd(net, pictures, targets, 0.1, 0.02, 7, True)

# saliency and Grad-CAM for the first picture and its label
x = pictures[:1].clone().requires_grad_(True)
a = F.relu(net.conv2(F.max_pool2d(F.relu(net.conv1(x)), 2)))   # (1, 8, 14, 14): the engine's layer 4
a.retain_grad()
score = net.fc2(F.relu(net.fc1(F.max_pool2d(a, 2).flatten(1))))[0, int(labels[0])]
score.backward()
out["saliency"] = x.grad.abs().amax(dim=1)[0]
weights = a.grad.mean(dim=(2, 3))[0]                                 # (8)
cam = F.relu((weights[:, None, None] * a[0]).sum(0)).detach()        # (14, 14)
out["gradcam/weights"] = weights
out["gradcam/cam"] = cam
out["gradcam/upsampled"] = F.interpolate(cam[None, None], size=(28, 28), mode="bilinear", align_corners=False)[0, 0]


class BnNet(nn.Module):
    """conv(1->4,3x3,p1)-batchnorm-relu-maxpool2-flatten-dropout(0.3)-fc(784->10), named conv, bn, fc."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.drop = nn.Dropout(0.3)
        self.fc = nn.Linear(784, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn(self.conv(x))), 2)
        return self.fc(self.drop(x.flatten(1)))


bn = BnNet()
with torch.no_grad():
    bn.bn.running_mean.copy_(torch.randn(4) * 0.2)
    bn.bn.running_var.copy_(torch.rand(4) + 0.5)
    bn.bn.weight.copy_(torch.rand(4) + 0.5)
    bn.bn.bias.copy_(torch.randn(4) * 0.1)
bn.eval()
for k, v in bn.state_dict().items():
    if k != "bn.num_batches_tracked":
        out[f"bn.{k}"] = v
out["bn/grad"] = input_grad(bn, pictures, labels)

write_safetensors(sys.argv[1], out)
