"""torch_common.py — what the PyTorch reference scripts share: the seed network and safetensors
files written and read with numpy alone (8-byte header length, JSON header, raw little-endian data)."""
import json
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class SeedNet(nn.Module):
    """conv(1->4,3x3,p1)-relu-maxpool2-conv(4->8,3x3,p1)-relu-maxpool2-flatten-fc(392->32)-relu-fc(32->10),
    with the state_dict names CNN Lab uses (conv1, conv2, fc1, fc2)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 8, 3, padding=1)
        self.fc1 = nn.Linear(392, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


def write_safetensors(path, named, metadata=None):
    """named: name -> tensor or array, written as float32."""
    header, offset, blobs = {}, 0, []
    for name, t in named.items():
        a = np.ascontiguousarray(t.detach().numpy() if isinstance(t, torch.Tensor) else t, dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        blobs.append(a.tobytes())
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read_safetensors(path):
    """name -> torch tensor, for a file of float32 tensors."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        assert entry["dtype"] == "F32", entry["dtype"]
        out[name] = torch.from_numpy(np.frombuffer(data, "<f4", offset=8 + n + begin, count=(end - begin) // 4)
                                     .reshape(entry["shape"]).copy())
    return out
