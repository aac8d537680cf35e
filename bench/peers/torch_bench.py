# PyTorch peer for bench/run.mjs: JSON lines on stdin/stdout (see bench/lib/peers.mjs).
# best configuration: denormals flushed, threads per request (torch and OpenBLAS both), the OpenBLAS
# kernel chosen by OPENBLAS_CORETYPE in the environment (Debian's 0.3.21 does not recognise this CPU)
import ctypes
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn

torch.set_flush_denormal(True)
SEED = 1234

try:
    OPENBLAS = ctypes.CDLL('libopenblas.so.0')
    OPENBLAS.openblas_get_corename.restype = ctypes.c_char_p
    OPENBLAS.openblas_get_config.restype = ctypes.c_char_p
except OSError:
    OPENBLAS = None


def set_threads(n):
    torch.set_num_threads(n)
    if OPENBLAS is not None:
        OPENBLAS.openblas_set_num_threads(n)


def calibrate(fn, seconds):
    n = 1
    while True:
        t0 = time.perf_counter()
        fn(n)
        dt = time.perf_counter() - t0
        if dt >= seconds / 4 or n >= 1 << 20:
            return max(1, round(n * seconds / max(dt, 1e-9)))
        n *= 8 if dt < seconds / 64 else 2


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def mlp(sizes, acts):
    mods = []
    for i in range(len(sizes) - 1):
        mods.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            mods.append(nn.ReLU() if acts[i] == 'relu' else nn.Sigmoid())
    return nn.Sequential(*mods)


def trainer(net, loss_fn, p):
    opt = torch.optim.SGD(net.parameters(), lr=p['lr'], momentum=p['momentum'])

    def step(x, y):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def check_learns(step, x, y, what):
    losses = [float(step(x, y)) for _ in range(20)]
    if not all(np.isfinite(losses)) or not losses[-1] < losses[0]:
        raise RuntimeError(f'{what}: loss does not decrease on a fixed batch ({losses[0]} -> {losses[-1]})')
    return f'loss {losses[0]:.3g} -> {losses[-1]:.3g} over 20 steps on one batch'


def read_idx(path):
    with open(path, 'rb') as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def mnist(dirname, split):
    pre = 'train' if split == 'train' else 't10k'
    x = read_idx(os.path.join(dirname, f'{pre}-images-idx3-ubyte')).reshape(-1, 784).astype(np.float32) / 255
    y = read_idx(os.path.join(dirname, f'{pre}-labels-idx1-ubyte')).astype(np.int64)
    return torch.from_numpy((x - 0.1307) / 0.3081), torch.from_numpy(y)


def start(task, cfg, seconds):
    p = task['p']
    kind = p['kind']
    set_threads(cfg['threads'])
    torch.manual_seed(SEED)
    g = torch.Generator().manual_seed(SEED)
    if kind == 'gemm':
        M, N, K = p['M'], p['N'], p['K']
        a = torch.randn(M, K, generator=g)
        b = torch.randn(K, N, generator=g)
        c = torch.empty(M, N)
        an, bn, cn = a.numpy(), b.numpy(), c.numpy()
        if cfg['impl'] == 'numpy':
            def run(n):
                for _ in range(n):
                    np.matmul(an, bn, out=cn)
        else:
            def run(n):
                for _ in range(n):
                    torch.mm(a, b, out=c)
        run(1)
        err = float(np.abs(cn - an.astype(np.float64) @ bn.astype(np.float64)).max())
        if not err <= 1e-5 * K + 1e-4:
            raise RuntimeError(f'gemm differs from float64 by {err}')
        n = calibrate(run, seconds)
        return {'rep': lambda: 2 * M * N * K * n / timed(lambda: run(n)) / 1e9,
                'note': f'max abs err vs float64 {err:.1e}'}
    if kind == 'mlp':
        sizes = p['sizes']
        net = mlp(sizes, ['relu'] * len(sizes))
        loss_fn = nn.CrossEntropyLoss() if p['loss'] == 'ce' else nn.MSELoss(reduction='sum')
        step = trainer(net, loss_fn, p)
        B, C = p['batch'], sizes[-1]
        pool = []
        for i in range(min(64, max(2, -(-4096 // B)))):
            x = torch.randn(B, sizes[0], generator=g)
            labels = torch.tensor([(i * 7 + j * 3) % C for j in range(B)])
            pool.append((x, labels if p['loss'] == 'ce' else nn.functional.one_hot(labels, C).float()))
        note = check_learns(step, *pool[0], task['id'])
        it = [0]

        def run(n):
            for _ in range(n):
                x, y = pool[it[0] % len(pool)]
                it[0] += 1
                step(x, y)

        n = calibrate(run, seconds)
        return {'rep': lambda: n * B / timed(lambda: run(n)), 'note': note}
    if kind == 'ffnn':
        net = mlp([p['F'], *p['hidden'], p['C']], p['acts'])
        step = trainer(net, nn.CrossEntropyLoss(), p)
        X = torch.randn(p['N'], p['F'], generator=g)
        Y = torch.randint(0, p['C'], (p['N'],), generator=g)
        note = check_learns(step, X[:p['batch']], Y[:p['batch']], task['id'])
        B = p['batch']

        def run():
            for _ in range(p['epochs']):
                perm = torch.randperm(p['N'])
                for i in range(0, p['N'], B):
                    idx = perm[i:i + B]
                    step(X[idx], Y[idx])

        return {'rep': lambda: p['epochs'] * p['N'] / timed(run), 'note': note}
    if kind == 'dropout':
        sizes = p['sizes']
        mods = [nn.Dropout(p['pIn'])]
        for i in range(len(sizes) - 1):
            mods.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i + 2 < len(sizes):
                mods += [nn.ReLU(), nn.Dropout(p['p'])]
        net = nn.Sequential(*mods)
        net.train()
        step = trainer(net, nn.CrossEntropyLoss(), p)
        N, B = p['N'], p['batch']
        X = torch.randn(N, sizes[0], generator=g)
        Y = torch.tensor([(i * 7) % sizes[-1] for i in range(N)])
        note = check_learns(step, X[:B], Y[:B], task['id'])

        def run():
            perm = torch.randperm(N)
            for i in range(0, N, B):
                idx = perm[i:i + B]
                step(X[idx], Y[idx])

        return {'rep': lambda: N / timed(run), 'note': note}
    if kind == 'mnist':
        xtr, ytr = mnist(task['mnistDir'], 'train')
        xte, yte = mnist(task['mnistDir'], 'test')
        net = mlp(p['sizes'], ['relu'] * len(p['sizes']))
        step = trainer(net, nn.CrossEntropyLoss(), p)
        B = p['batch']
        N = xtr.shape[0]

        def run():
            perm = torch.randperm(N)
            for i in range(0, N, B):
                idx = perm[i:i + B]
                loss = step(xtr[idx], ytr[idx])
            if not torch.isfinite(loss):
                raise RuntimeError(f'mnist: loss became {float(loss)}')

        epochs = [0]

        def rep():
            epochs[0] += 1
            return timed(run)

        def finish():
            with torch.no_grad():
                acc = (net(xte).argmax(1) == yte).float().mean().item()
            return {'accuracy': acc, 'epochs': epochs[0]}

        return {'rep': rep, 'finish': finish, 'note': 'loss finite every epoch'}
    raise RuntimeError(f'unknown task kind {kind}')


def hello():
    info = {'torch': torch.__version__, 'numpy': np.__version__, 'python': sys.version.split()[0],
            'flush_denormal': True, 'omp_wait_policy': os.environ.get('OMP_WAIT_POLICY')}
    if OPENBLAS is not None:
        info['openblas'] = OPENBLAS.openblas_get_config().decode()
        info['openblas_core'] = OPENBLAS.openblas_get_corename().decode()
    return info


def main():
    states = {}
    for line in sys.stdin:
        msg = json.loads(line)
        try:
            op = msg['op']
            if op == 'hello':
                out = {'info': hello()}
            elif op == 'start':
                st = start(msg['task'], msg['cfg'], msg['seconds'])
                st['threads'] = msg['cfg']['threads']
                states[msg['key']] = st
                out = {'note': st.get('note', '')}
            elif op == 'rep':
                st = states[msg['key']]
                set_threads(st['threads'])
                out = {'value': st['rep']()}
            elif op == 'finish':
                st = states.pop(msg['key'])
                set_threads(st['threads'])
                out = st['finish']() if 'finish' in st else {}
            else:
                raise RuntimeError(f'unknown op {op}')
            out['ok'] = True
        except Exception as e:  # reported to run.mjs, which marks the contender n/a
            out = {'ok': False, 'error': f'{type(e).__name__}: {e}'}
        sys.stdout.write(json.dumps(out) + '\n')
        sys.stdout.flush()


if __name__ == '__main__':
    main()
