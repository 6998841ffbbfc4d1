"""PyTorch's own SVDiff training step on SD 1.5's architecture, the anchor of `npm run bench -- sd15`.

The UNet and text encoder of research/fixtures/sd15/generate.py at full size (random weights),
every Linear and Conv2d weight reparametrised as in the SVDiff reference code:
W_δ = U·diag(ReLU(σ + δ))·Vᵀ, U, σ, V frozen (torch.linalg.svd: LAPACK's gesdd), gradients into
δ only. One step: the text encoder on 2 × 77 tokens, the UNet on 2 latents of 64×64 (512², one
instance + one prior item), MSE, backward. Prints one JSON line: SVD time (total and the largest
matrix), step times after one warm-up step, peak RSS.

    /usr/bin/python3 bench/torch/svdiff_step.py [STEPS]

Run it with OpenBLAS (apt-get install libopenblas0-pthread): Debian's torch links the reference
BLAS by default, ~14x slower, and the comparison would be false.
"""
import importlib.util
import json
import os
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location('generate', os.path.join(HERE, '../../research/fixtures/sd15/generate.py'))
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)


class Spectral(nn.Module):
    """Holds U, σ, V of a weight and δ; `weight()` is W_δ in the layer's shape."""

    def __init__(self, w):
        super().__init__()
        self.shape = w.shape
        m = w.detach().reshape(w.shape[0], -1)
        U, S, Vh = torch.linalg.svd(m, full_matrices=False)
        self.register_buffer('U', U)
        self.register_buffer('S', S)
        self.register_buffer('Vh', Vh)
        self.delta = nn.Parameter(torch.zeros_like(S))

    def weight(self):
        return ((self.U * F.relu(self.S + self.delta)) @ self.Vh).reshape(self.shape)


def reparametrise(model, timings):
    for module in list(model.modules()):
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            t0 = time.perf_counter()
            module.spectral = Spectral(module.weight)
            dt = time.perf_counter() - t0
            timings.append((dt, tuple(module.weight.shape)))
            del module.weight
            if isinstance(module, nn.Linear):
                module.forward = (lambda mod: lambda x: F.linear(x, mod.spectral.weight(), mod.bias))(module)
            else:
                module.forward = (lambda mod: lambda x: mod._conv_forward(x, mod.spectral.weight(), mod.bias))(module)


def main(steps):
    torch.set_num_threads(os.cpu_count())
    models, cfgs, _ = gen.build_models('full', 0)
    unet, te = models['unet'], models['text_encoder']
    del models['vae']
    timings = []
    t0 = time.perf_counter()
    with torch.no_grad():
        reparametrise(unet, timings)
        reparametrise(te, timings)
    svd_s = time.perf_counter() - t0
    for p in list(unet.parameters()) + list(te.parameters()):
        p.requires_grad_(False)
    deltas = [m.spectral.delta for m in list(unet.modules()) + list(te.modules()) if hasattr(m, 'spectral')]
    for d in deltas:
        d.requires_grad_(True)
    unet.train()
    te.train()
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(0, cfgs['text_encoder']['vocab_size'], (2, 77), generator=g)
    x = torch.randn(2, 4, 64, 64, generator=g)
    target = torch.randn(2, 4, 64, 64, generator=g)
    t = torch.tensor([500, 500])

    def step():
        for d in deltas:
            d.grad = None
        ctx = te(ids)[0]
        loss = F.mse_loss(unet(x, t, ctx), target)
        loss.backward()
        return loss.item()

    times = []
    for i in range(steps + 1):
        t1 = time.perf_counter()
        step()
        if i > 0:
            times.append(time.perf_counter() - t1)
    largest = max(timings, key=lambda x: x[0])
    print(json.dumps({'threads': torch.get_num_threads(), 'svd_s': svd_s, 'svd_matrices': len(timings), 'svd_largest_s': largest[0], 'svd_largest_shape': largest[1],
                      'step_s': times, 'parameters_trained': sum(d.numel() for d in deltas), 'peak_rss_gib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20}))


if __name__ == '__main__':
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
