#!/usr/bin/python3
"""torch_reference.py OUT.safetensors — reference values from the real PyTorch for every engine op.

For each case it draws inputs with a fixed seed, runs the PyTorch function forward, then backward
with a random output gradient `dout` (so the loss is sum(out * dout)), and stores inputs, outputs
and gradients as float32 tensors named "<case>/<what>". The list of cases and their settings is in
the file's __metadata__["cases"] (JSON). tests/engine_reference_test.cpp replays every case with the
engine and compares. Written with numpy only: the safetensors format is an 8-byte header length,
a JSON header and the raw little-endian data.

scripts/test runs it (Debian's python3-torch) whenever this script is newer than its output.
"""
import json
import sys

import torch
import torch.nn.functional as F

from torch_common import write_safetensors

torch.manual_seed(1234)
torch.set_num_threads(1)
cases = []      # settings of each case, in order
tensors = {}    # name -> float32 numpy array


def rand(*shape, scale=1.0):
    return (torch.randn(*shape, dtype=torch.float64) * scale).float()


def add_case(op, settings, inputs, forward, atol=1e-5, rtol=1e-5):
    """Runs forward(**inputs) -> output tensor(s); backward with random dout; stores everything.
    inputs: name -> tensor; those with requires_grad get a d<name> gradient stored."""
    name = f"{op}/{sum(1 for c in cases if c['op'] == op)}"
    outs = forward(**inputs)
    if not isinstance(outs, tuple):
        outs = (outs,)
    douts = []
    for i, out in enumerate(outs):
        suffix = "" if i == 0 else str(i)
        tensors[f"{name}/out{suffix}"] = out.detach()
        if out.requires_grad:
            dout = rand(*out.shape)
            tensors[f"{name}/dout{suffix}"] = dout
            douts.append((out, dout))
    if douts:
        torch.autograd.backward([o for o, _ in douts], [d for _, d in douts])
    for k, v in inputs.items():
        if isinstance(v, torch.Tensor):
            tensors[f"{name}/{k}"] = v.detach()
            if v.requires_grad:
                tensors[f"{name}/d{k}"] = v.grad.detach()
    cases.append(dict(op=op, name=name, atol=atol, rtol=rtol, **settings))


def grad(t):
    return t.clone().requires_grad_(True)


# ---- conv2d: odd sizes, batches, strides, padding, dilation, groups, depthwise ----
conv_settings = [
    # N, C, H, W, OC, KH, KW, stride, padding, dilation, groups
    (1, 1, 5, 5, 1, 3, 3, 1, 0, 1, 1),
    (2, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1),
    (3, 2, 9, 8, 5, 3, 2, 2, 1, 1, 1),
    (2, 4, 11, 10, 6, 5, 3, (2, 1), (2, 1), 1, 2),
    (1, 3, 13, 9, 2, 3, 3, 1, 2, 2, 1),
    (2, 4, 8, 8, 4, 3, 3, 1, 1, 1, 4),        # depthwise
    (4, 1, 28, 28, 4, 3, 3, 1, 1, 1, 1),      # the seed net's first conv
    (4, 4, 14, 14, 8, 3, 3, 1, 1, 1, 1),      # and its second
]
for (N, C, H, W, OC, KH, KW, s, p, d, g) in conv_settings:
    x, w, b = grad(rand(N, C, H, W)), grad(rand(OC, C // g, KH, KW, scale=0.3)), grad(rand(OC))
    pair = lambda v: list(v) if isinstance(v, tuple) else [v, v]
    add_case("conv2d", dict(stride=pair(s), padding=pair(p), dilation=pair(d), groups=g),
             dict(x=x, w=w, b=b), lambda x, w, b: F.conv2d(x, w, b, s, p, d, g),
             # large reductions (dw and db sum over N*OH*OW values) get 1e-4 absolute
             atol=1e-4 if C * KH * KW > 30 or N * H * W > 1000 else 1e-5)

# ---- conv_transpose2d ----
for (N, C, H, W, OC, K, s, p, op, d, g) in [
    (1, 1, 3, 3, 1, 3, 1, 0, 0, 1, 1),
    (2, 3, 4, 5, 2, 3, 2, 1, 1, 1, 1),
    (2, 4, 5, 4, 6, 2, 2, 0, 0, 1, 2),
    (1, 2, 4, 4, 3, 3, 3, 1, 2, 1, 1),
    (2, 2, 3, 4, 2, 3, 1, 1, 0, 2, 1),
]:
    x, w, b = grad(rand(N, C, H, W)), grad(rand(C, OC // g, K, K, scale=0.3)), grad(rand(OC))
    add_case("conv_transpose2d", dict(stride=s, padding=p, output_padding=op, dilation=d, groups=g),
             dict(x=x, w=w, b=b), lambda x, w, b: F.conv_transpose2d(x, w, b, s, p, op, g, d))

# ---- pooling ----
for (N, C, H, W, k, s, p, d) in [(2, 3, 8, 8, 2, 2, 0, 1), (1, 2, 7, 9, 3, 2, 1, 1), (2, 1, 9, 9, 3, 1, 1, 2),
                                 (3, 4, 28, 28, 2, 2, 0, 1)]:
    x = grad(rand(N, C, H, W))
    add_case("maxpool2d", dict(kernel=k, stride=s, padding=p, dilation=d), dict(x=x),
             lambda x: F.max_pool2d(x, k, s, p, d))
for (N, C, H, W, k, s, p) in [(2, 3, 8, 8, 2, 2, 0), (1, 2, 7, 9, 3, 2, 1), (2, 2, 6, 5, 3, 1, 1)]:
    x = grad(rand(N, C, H, W))
    add_case("avgpool2d", dict(kernel=k, stride=s, padding=p), dict(x=x),
             lambda x: F.avg_pool2d(x, k, s, p, count_include_pad=True))
x = grad(rand(3, 5, 7, 6))
add_case("global_avgpool", {}, dict(x=x), lambda x: F.adaptive_avg_pool2d(x, 1).flatten(1))

# ---- activations ----
x = grad(rand(4, 3, 5, 5))
add_case("relu", {}, dict(x=x), lambda x: F.relu(x))
x = grad(rand(4, 3, 5, 5))
add_case("leaky_relu", dict(slope=0.1), dict(x=x), lambda x: F.leaky_relu(x, 0.1))
x = grad(rand(4, 3, 5, 5, scale=3))
add_case("sigmoid", {}, dict(x=x), lambda x: torch.sigmoid(x))
x = grad(rand(4, 3, 5, 5, scale=2))
add_case("tanh", {}, dict(x=x), lambda x: torch.tanh(x))

# ---- linear ----
for (N, IN, OUT) in [(1, 3, 2), (5, 17, 9), (32, 392, 32)]:
    x, w, b = grad(rand(N, IN)), grad(rand(OUT, IN, scale=0.2)), grad(rand(OUT))
    add_case("linear", {}, dict(x=x, w=w, b=b), lambda x, w, b: F.linear(x, w, b), atol=1e-4 if IN > 100 else 1e-5)

# ---- normalization ----
for (N, C, H, W) in [(4, 3, 5, 5), (8, 2, 7, 3)]:
    x, g, b = grad(rand(N, C, H, W, scale=2) + 1), grad(rand(C) + 1), grad(rand(C))
    rm, rv = rand(C) * 0.1, rand(C).abs() + 0.5
    rm0, rv0 = rm.clone(), rv.clone()
    add_case("batchnorm2d_train", dict(eps=1e-5, momentum=0.1), dict(x=x, g=g, b=b),
             lambda x, g, b: F.batch_norm(x, rm, rv, g, b, True, 0.1, 1e-5), atol=1e-4)
    tensors[f"{cases[-1]['name']}/running_mean0"] = rm0
    tensors[f"{cases[-1]['name']}/running_var0"] = rv0
    tensors[f"{cases[-1]['name']}/running_mean"] = rm.clone()
    tensors[f"{cases[-1]['name']}/running_var"] = rv.clone()
    x = rand(N, C, H, W)
    add_case("batchnorm2d_eval", dict(eps=1e-5), dict(x=x, g=g.detach(), b=b.detach(), rm=rm.clone(), rv=rv.clone()),
             lambda x, g, b, rm, rv: F.batch_norm(x, rm, rv, g, b, False, 0.1, 1e-5))
for (N, C, H, W) in [(3, 4, 5, 5), (2, 2, 3, 7)]:
    x, g, b = grad(rand(N, C, H, W, scale=2)), grad(rand(C, H, W) + 1), grad(rand(C, H, W))
    add_case("layernorm", dict(eps=1e-5), dict(x=x, g=g, b=b), lambda x, g, b: F.layer_norm(x, (C, H, W), g, b, 1e-5), atol=1e-4)
for (N, C, H, W) in [(3, 4, 5, 5), (2, 2, 6, 7)]:
    x, g, b = grad(rand(N, C, H, W, scale=2) - 1), grad(rand(C) + 1), grad(rand(C))
    add_case("instancenorm2d", dict(eps=1e-5), dict(x=x, g=g, b=b),
             lambda x, g, b: F.instance_norm(x, weight=g, bias=b, eps=1e-5), atol=1e-4)

for (N, C, H, W, G) in [(3, 6, 4, 5, 3), (2, 4, 3, 3, 1), (2, 4, 3, 3, 4)]:
    x, g, b = grad(rand(N, C, H, W, scale=2) + 0.5), grad(rand(C) + 1), grad(rand(C))
    add_case("groupnorm", dict(eps=1e-5, groups=G), dict(x=x, g=g, b=b),
             lambda x, g, b, G=G: F.group_norm(x, G, g, b, 1e-5), atol=1e-4)

# ---- joining paths ----
a, b = grad(rand(2, 3, 4, 4)), grad(rand(2, 3, 4, 4))
add_case("add", {}, dict(a=a, b=b), lambda a, b: a + b)
a, b = grad(rand(2, 3, 4, 4)), grad(rand(2, 5, 4, 4))
add_case("concat", {}, dict(a=a, b=b), lambda a, b: torch.cat([a, b], dim=1))

# ---- loss ----
for (N, K) in [(1, 3), (7, 10), (32, 10)]:
    logits = grad(rand(N, K, scale=3))
    labels = torch.randint(0, K, (N,))
    tensors[f"cross_entropy/{sum(1 for c in cases if c['op'] == 'cross_entropy')}/labels"] = labels.float()
    add_case("cross_entropy", {"label_smoothing": 0.0}, dict(logits=logits), lambda logits: F.cross_entropy(logits, labels).reshape(1))
# label smoothing: the target is (1-eps)*onehot + eps/K
for (N, K, eps) in [(7, 10, 0.1), (32, 10, 0.25)]:
    logits = grad(rand(N, K, scale=3))
    labels = torch.randint(0, K, (N,))
    tensors[f"cross_entropy/{sum(1 for c in cases if c['op'] == 'cross_entropy')}/labels"] = labels.float()
    add_case("cross_entropy", {"label_smoothing": eps}, dict(logits=logits),
             lambda logits: F.cross_entropy(logits, labels, label_smoothing=eps).reshape(1))


# ---- the layers EfficientNet and the adaptive poolings need ----
x = grad(rand(4, 3, 5, 5, scale=3))
add_case("silu", {}, dict(x=x), lambda x: F.silu(x))
# output sizes that divide the input, that do not (overlapping windows), 1 (global) and larger than the input
for (N, C, H, W, OH, OW) in [(2, 3, 8, 6, 4, 3), (1, 2, 7, 10, 3, 4), (2, 2, 5, 5, 1, 1), (1, 2, 3, 2, 5, 4)]:
    x = grad(rand(N, C, H, W))
    add_case("adaptive_avgpool2d", dict(size=[OH, OW]), dict(x=x), lambda x, OH=OH, OW=OW: F.adaptive_avg_pool2d(x, (OH, OW)))
x, gate = grad(rand(2, 4, 3, 5)), grad(torch.sigmoid(rand(2, 4)))
add_case("channel_scale", {}, dict(x=x, gate=gate), lambda x, gate: x * gate[:, :, None, None])

write_safetensors(sys.argv[1], tensors, {"cases": json.dumps(cases), "torch": torch.__version__})
print(f"torch_reference: {len(cases)} cases, {len(tensors)} tensors -> {sys.argv[1]}")
