"""The autodiff bench's torch-exported UNet and PyTorch's own times for it.

A small UNet2DConditionModel (the SD 1.5 fixture's modules, research/fixtures/sd15/generate.py):
channels 32/40/56, attention at 16² and 8² (and the mid block), cross-attention 64, 32×32
latents, 16 text tokens: about 1.6 M parameters, the same building blocks torch writes for SD 1.5.

    /usr/bin/python3 bench/torch/unet_small.py export OUT.onnx        # opset 17, dynamic batch
    /usr/bin/python3 bench/torch/unet_small.py time BATCH REPEAT      # one JSON line

`time` prints PyTorch's forward (no_grad, as a sampler runs it) and training step (forward +
backward into every weight, MSE against a target), the median and min of REPEAT runs after two
warm-up runs. Run it with OpenBLAS (apt-get install libopenblas0-pthread): Debian's torch links
the reference BLAS by default, ~14× slower, and the comparison would be false.
"""
import importlib.util
import json
import os
import statistics
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location('generate', os.path.join(HERE, '../../research/fixtures/sd15/generate.py'))
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)

CFG = dict(
    gen.UNET_FULL, sample_size=32, block_out_channels=[32, 40, 56],
    down_block_types=['DownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D'],
    up_block_types=['CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'UpBlock2D'],
    norm_num_groups=8, cross_attention_dim=64, attention_head_dim=4,
)
SIZE, SEQ = 32, 16


def model():
    torch.manual_seed(7)
    m = gen.UNet2DConditionModel(CFG)
    gen.randomize_norms(m, torch.Generator().manual_seed(8))
    return m


def inputs(batch):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(batch, 4, SIZE, SIZE, generator=g)
    t = torch.tensor([(i * 31) % 1000 for i in range(batch)], dtype=torch.int64)
    ctx = torch.randn(batch, SEQ, CFG['cross_attention_dim'], generator=g)
    target = torch.randn(batch, 4, SIZE, SIZE, generator=g)
    return x, t, ctx, target


def export(path):
    m = model().eval()
    x, t, ctx, _ = inputs(2)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(m, (x, t, ctx), path, input_names=['sample', 'timestep', 'encoder_hidden_states'], output_names=['out_sample'],
                          dynamic_axes={'sample': {0: 'batch'}, 'timestep': {0: 'batch'}, 'encoder_hidden_states': {0: 'batch'}, 'out_sample': {0: 'batch'}},
                          opset_version=17, do_constant_folding=True)
    print(json.dumps({'params': sum(p.numel() for p in m.parameters())}))


def timed(fn, repeat):
    for _ in range(2):
        fn()
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), min(ts)


def time_runs(batch, repeat):
    torch.set_num_threads(os.cpu_count())  # as ONNX Runtime (Debian's torch starts with 1 here)
    m = model().train()
    x, t, ctx, target = inputs(batch)

    def forward():
        with torch.no_grad():
            m(x, t, ctx)

    def step():
        m.zero_grad(set_to_none=True)
        loss = torch.nn.functional.mse_loss(m(x, t, ctx), target)
        loss.backward()

    f, fmin = timed(forward, repeat)
    s, smin = timed(step, repeat)
    print(json.dumps({'batch': batch, 'threads': torch.get_num_threads(), 'forward_s': f, 'forward_min_s': fmin, 'step_s': s, 'step_min_s': smin,
                      'blas': loaded_blas()}))


def loaded_blas():
    """The BLAS library this process mapped (Debian switches libblas.so.3 by alternatives)."""
    with open('/proc/self/maps') as f:
        libs = {line.split()[-1] for line in f if 'blas' in line}
    real = {os.path.realpath(p) for p in libs}
    return 'openblas' if any('openblas' in p for p in real) else ', '.join(sorted(os.path.basename(p) for p in real)) or 'none'


if __name__ == '__main__':
    if sys.argv[1] == 'export':
        export(sys.argv[2])
    elif sys.argv[1] == 'time':
        time_runs(int(sys.argv[2]), int(sys.argv[3]))
    else:
        sys.exit(__doc__)
