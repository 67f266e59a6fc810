#!/usr/bin/python3
"""torch_architectures.py OUT.safetensors — torchvision's own networks, for tests/architectures_test.cpp.

For AlexNet, VGG-16, ResNet-18, ResNet-50, DenseNet-121 and EfficientNet-B0 (torchvision 0.14,
built without pretrained weights) and LeNet-5 (written here with the names CNN Lab gives it), the
file's metadata holds, per network, at its own input size (224x224, LeNet-5 32x32):
  "tensors": every state_dict entry but batch norm's num_batches_tracked, [name, shape], in order;
  "outputs": the output shape of every module with parameters and of every pooling, found with
             forward hooks, {module name: shape without the batch};
  "params":  the number of trainable values.
For the networks small enough to keep in the file (LeNet-5, ResNet-18, DenseNet-121,
EfficientNet-B0) it also stores their state_dict, with batch norm's statistics and affine values
drawn at random (so that eval-mode batch norm is not the identity), a (2,C,64,64) input
("<net>/input"; LeNet-5 32x32) and torchvision's output for it in eval mode ("<net>/output").
scripts/test runs it whenever this script is newer than its output.
"""
import json
import sys

import torch
import torch.nn as nn
import torchvision.models as models

from torch_common import write_safetensors

torch.manual_seed(2024)
torch.set_num_threads(1)


class LeNet5(nn.Module):
    """LeCun et al. 1998 as usually written today: tanh, average pooling, full connections."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.pool1 = nn.AvgPool2d(2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.pool2 = nn.AvgPool2d(2)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool1(torch.tanh(self.conv1(x)))
        x = self.pool2(torch.tanh(self.conv2(x)))
        x = torch.tanh(self.fc1(x.flatten(1)))
        return self.fc3(torch.tanh(self.fc2(x)))


NETWORKS = [  # key, constructor, input (C, side), state and outputs stored
    ("lenet5", LeNet5, (1, 32), True),
    ("alexnet", models.alexnet, (3, 224), False),
    ("vgg16", models.vgg16, (3, 224), False),
    ("resnet18", models.resnet18, (3, 224), True),
    ("resnet50", models.resnet50, (3, 224), False),
    ("densenet121", models.densenet121, (3, 224), True),
    ("efficientnet_b0", models.efficientnet_b0, (3, 224), True),
]
RECORDED = (nn.Conv2d, nn.Linear, nn.BatchNorm2d, nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d)

metadata, tensors = {}, {}
for key, make, (channels, side), store in NETWORKS:
    net = make().eval()
    outputs = {}
    for name, module in net.named_modules():
        if isinstance(module, RECORDED):
            module.register_forward_hook(lambda m, i, o, name=name: outputs.setdefault(name, list(o.shape[1:])) and None)
    with torch.no_grad():
        net(torch.zeros(1, channels, side, side))
    state = {k: v for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}
    metadata[key] = {
        "tensors": [[k, list(v.shape)] for k, v in state.items()],
        "outputs": outputs,
        "params": sum(p.numel() for p in net.parameters()),
    }
    if store:
        for module in net.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.copy_(torch.randn(module.num_features) * 0.1)
                module.running_var.copy_(torch.rand(module.num_features) + 0.5)
                module.weight.data.copy_(torch.rand(module.num_features) + 0.5)
                module.bias.data.copy_(torch.randn(module.num_features) * 0.1)
        small = 32 if key == "lenet5" else 64
        x = torch.randn(2, channels, small, small)
        with torch.no_grad():
            y = net(x)
        for k, v in net.state_dict().items():
            if not k.endswith("num_batches_tracked"):
                tensors[f"{key}/{k}"] = v
        tensors[f"{key}/input"] = x
        tensors[f"{key}/output"] = y
    print(f"{key}: {metadata[key]['params']} parameters, {len(state)} tensors, {len(outputs)} outputs")

write_safetensors(sys.argv[1], tensors, {"networks": json.dumps(metadata), "torchvision": __import__("torchvision").__version__})
