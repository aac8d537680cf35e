# the PyTorch side of bench/dev/d3-split.mjs: D3 with and without nn.Dropout, and the F.dropout calls
# alone, medians of 5. OPENBLAS_CORETYPE=SkylakeX OMP_WAIT_POLICY=PASSIVE T=1|2 /usr/bin/python3 bench/dev/torch_d3.py
import time, torch, os
from torch import nn
torch.set_flush_denormal(True)
T = int(os.environ.get('T', '1')); torch.set_num_threads(T)
import ctypes
ob = ctypes.CDLL('libopenblas.so.0'); ob.openblas_set_num_threads(T)
sizes = [784, 1024, 1024, 1024, 10]
def build(drop):
    mods = [nn.Dropout(0.2)] if drop else []
    for i in range(len(sizes) - 1):
        mods.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            mods.append(nn.ReLU())
            if drop: mods.append(nn.Dropout(0.5))
    net = nn.Sequential(*mods); net.train()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    lf = nn.CrossEntropyLoss()
    def step(x, y):
        opt.zero_grad(set_to_none=True); l = lf(net(x), y); l.backward(); opt.step()
    return step
B = 100
pool = [(torch.randn(B, 784), torch.tensor([(i + j * 3) % 10 for j in range(B)])) for i in range(8)]
cs = {'torch dropout': build(True), 'torch no-dropout': build(False)}
x = torch.randn(100, 1024)
def bern():
    torch.nn.functional.dropout(x, 0.5, True)
times = {k: [] for k in cs}; times['F.dropout 100x1024 x3 + 100x784'] = []
for f in cs.values():
    for s in range(3): f(*pool[s])
for r in range(5):
    for k, f in cs.items():
        t0 = time.perf_counter()
        for s in range(15): f(*pool[s % 8])
        times[k].append((time.perf_counter() - t0) / 15 * 1000)
    t0 = time.perf_counter()
    for s in range(15):
        for _ in range(3): bern()
        torch.nn.functional.dropout(pool[0][0], 0.2, True)
    times['F.dropout 100x1024 x3 + 100x784'].append((time.perf_counter() - t0) / 15 * 1000)
for k, v in times.items():
    v.sort(); print(f'{k}: median {v[2]:.2f} ms/step ({100 / v[2] * 1000:.0f} samples/s); all {" ".join(f"{t:.1f}" for t in v)}')
