#!/usr/bin/python3
# writes test/fixtures/backprop/*.json: PyTorch autograd (float64) values for the FFNN of the problem,
#   h(0) = x, h(l) = f(l)(h(l-1) W(l) + b(l)), yHat = softmax(h(L) U + c), loss = CELoss(yHat, y),
# for several networks (every activation, mixes, learnable beta/alpha, sizes 1 and odd, batch 1 and 7),
# plus Sequential module flows and the loss modules (CrossEntropyLoss with label smoothing and class
# weights, MSELoss). run with Debian's python3 (torch 1.13): /usr/bin/python3 tools/fixtures_backprop.py
import json
import os
import sys

import torch

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'backprop')


def swish(x, beta):
    return x * torch.sigmoid(beta * x)


def celu(x, alpha):
    # written out so alpha can be a learnable tensor (torch.celu takes a python float)
    return torch.clamp(x, min=0) + torch.clamp(alpha * torch.expm1(x / alpha), max=0)


def act(kind, u, p):
    if kind == 'relu':
        return torch.relu(u)
    if kind == 'sigmoid':
        return torch.sigmoid(u)
    if kind == 'tanh':
        return torch.tanh(u)
    if kind == 'swish':
        return swish(u, p)
    if kind == 'celu':
        return celu(u, p)
    raise ValueError(kind)


def tolist(t):
    return t.detach().tolist()


def ffnn_case(name, seed, F, hidden, acts, C, B, soft=False):
    # acts: list of (kind, param or None, learnable)
    g = torch.Generator().manual_seed(seed)
    dims = [F] + hidden
    x = torch.randn(B, F, generator=g) * 1.5
    Ws = [(torch.randn(dims[l], dims[l + 1], generator=g) / dims[l] ** 0.5).requires_grad_() for l in range(len(hidden))]
    bs = [(0.3 * torch.randn(dims[l + 1], generator=g)).requires_grad_() for l in range(len(hidden))]
    U = (torch.randn(dims[-1], C, generator=g) / dims[-1] ** 0.5).requires_grad_()
    c = (0.3 * torch.randn(C, generator=g)).requires_grad_()
    labels = torch.randint(0, C, (B,), generator=g)
    y = torch.nn.functional.one_hot(labels, C).to(torch.float64)
    if soft:
        y = torch.softmax(torch.randn(B, C, generator=g), dim=1)
    params = []
    for kind, p, learnable in acts:
        params.append(torch.tensor([float(p)], requires_grad=learnable) if p is not None else None)
    h = x
    us, hs = [], []
    for l, (kind, p, learnable) in enumerate(acts):
        u = h @ Ws[l] + bs[l]
        u.retain_grad()
        h = act(kind, u, params[l])
        h.retain_grad()
        us.append(u)
        hs.append(h)
    uo = h @ U + c
    uo.retain_grad()
    probs = torch.softmax(uo, dim=1)
    loss = -(y * torch.log(probs)).sum(dim=1).mean()
    loss.backward()
    if any(k == 'celu' for k, _, _ in acts):
        for l, (kind, p, _) in enumerate(acts):
            if kind == 'celu':
                ref = torch.celu(us[l].detach(), alpha=float(p))
                assert torch.allclose(ref, act(kind, us[l].detach(), params[l].detach()), rtol=1e-14, atol=1e-14)
    grads = {}
    for l in range(len(hidden)):
        grads['W%d' % (l + 1)] = tolist(Ws[l].grad)
        grads['b%d' % (l + 1)] = tolist(bs[l].grad)
    grads['U'] = tolist(U.grad)
    grads['c'] = tolist(c.grad)
    for l, (kind, p, learnable) in enumerate(acts):
        if learnable:
            grads[('beta' if kind == 'swish' else 'alpha') + str(l + 1)] = tolist(params[l].grad)
    return {
        'name': name,
        'kind': 'ffnn',
        'F': F, 'hidden': hidden, 'C': C, 'B': B,
        'activations': [{'kind': k, 'param': p, 'learnable': bool(le)} for k, p, le in acts],
        'x': tolist(x),
        'labels': labels.tolist(),
        'y': tolist(y),
        'soft': soft,
        'W': [tolist(w) for w in Ws], 'b': [tolist(b) for b in bs], 'U': tolist(U), 'c': tolist(c),
        'loss': loss.item(),
        'probs': tolist(probs),
        'grads': grads,
        'dL_duOut': tolist(uo.grad),
        'dL_dh': [tolist(t.grad) for t in hs],
        'dL_du': [tolist(t.grad) for t in us],
    }


def sequential_case(name, seed, layers, B, loss_kind):
    # layers: ('linear', in, out) | ('relu',) | ('tanh',) | ('swish', beta, learnable) | ('celu', alpha, learnable) | ('softmax',)
    g = torch.Generator().manual_seed(seed)
    first = layers[0][1]
    x = torch.randn(B, first, generator=g)
    spec, tensors, h = [], [], x
    for L in layers:
        if L[0] == 'linear':
            w = (torch.randn(L[1], L[2], generator=g) / L[1] ** 0.5).requires_grad_()
            b = (0.3 * torch.randn(L[2], generator=g)).requires_grad_()
            tensors += [w, b]
            spec.append({'kind': 'linear', 'in': L[1], 'out': L[2], 'weight': tolist(w), 'bias': tolist(b)})
            h = h @ w + b
        elif L[0] in ('swish', 'celu'):
            p = torch.tensor([float(L[1])], requires_grad=L[2])
            if L[2]:
                tensors.append(p)
            spec.append({'kind': L[0], 'param': L[1], 'learnable': L[2]})
            h = act(L[0], h, p)
        elif L[0] == 'softmax':
            spec.append({'kind': 'softmax'})
            h = torch.softmax(h, dim=1)
        else:
            spec.append({'kind': L[0]})
            h = act(L[0], h, None)
    target = torch.randn(B, h.shape[1], generator=g)
    if loss_kind == 'mse_sum':
        loss = ((h - target) ** 2).sum()
    else:
        loss = ((h - target) ** 2).mean()
    loss.backward()
    return {
        'name': name, 'kind': 'sequential', 'loss_kind': loss_kind, 'B': B,
        'layers': spec, 'x': tolist(x), 'target': tolist(target),
        'output': tolist(h), 'loss': loss.item(),
        'grads': [tolist(t.grad) for t in tensors],
    }


def cross_entropy_cases(seed):
    g = torch.Generator().manual_seed(seed)
    out = []
    B, C = 7, 5
    # 'weights': non-negative rows that do not sum to 1 (multi-label scores), where the gradient is
    # softmax * row sum - target rather than softmax - target
    for target_kind in ('indices', 'probs', 'weights'):
        for weight in (None, [0.5, 2.0, 1.0, 0.25, 3.0]):
            for smoothing in (0.0, 0.1):
                for reduction in ('mean', 'sum'):
                    logits = (2 * torch.randn(B, C, generator=g)).requires_grad_()
                    if target_kind == 'indices':
                        target = torch.randint(0, C, (B,), generator=g)
                    elif target_kind == 'probs':
                        target = torch.softmax(torch.randn(B, C, generator=g), dim=1)
                    else:
                        target = 2 * torch.rand(B, C, generator=g)
                    w = torch.tensor(weight) if weight is not None else None
                    loss = torch.nn.functional.cross_entropy(logits, target, weight=w, reduction=reduction,
                                                             label_smoothing=smoothing)
                    loss.backward()
                    out.append({
                        'target_kind': target_kind, 'weight': weight, 'label_smoothing': smoothing,
                        'reduction': reduction, 'logits': tolist(logits), 'target': tolist(target),
                        'loss': loss.item(), 'grad': tolist(logits.grad),
                    })
    return out


def write(name, obj):
    path = os.path.join(OUT, name + '.json')
    with open(path, 'w') as f:
        json.dump(obj, f, separators=(',', ':'))
        f.write('\n')
    print('%-40s %7d bytes' % (os.path.relpath(path), os.path.getsize(path)))


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = [
        ffnn_case('relu', 1, 5, [4], [('relu', None, False)], 3, 7),
        ffnn_case('sigmoid_batch1', 2, 3, [6], [('sigmoid', None, False)], 4, 1),
        ffnn_case('tanh_sizes1', 3, 1, [1], [('tanh', None, False)], 2, 7),
        ffnn_case('swish', 4, 4, [5, 3], [('swish', 1.0, False), ('swish', 1.7, False)], 3, 7),
        ffnn_case('celu', 5, 6, [7], [('celu', 1.5, False)], 5, 7),
        ffnn_case('mix5', 6, 7, [5, 1, 3, 9, 2], [('relu', None, False), ('sigmoid', None, False), ('tanh', None, False),
                                                   ('swish', 0.8, False), ('celu', 0.6, False)], 4, 7),
        ffnn_case('mix_relu_sig', 7, 9, [11, 3], [('relu', None, False), ('sigmoid', None, False)], 10, 7),
        ffnn_case('learnable', 8, 6, [5, 4, 3], [('swish', 0.7, True), ('celu', 0.6, True), ('swish', 1.3, True)], 3, 7),
        ffnn_case('learnable_batch1', 9, 3, [2, 5], [('celu', 2.0, True), ('swish', -0.5, True)], 2, 1),
        ffnn_case('no_hidden', 10, 4, [], [], 3, 7),
        ffnn_case('soft_targets', 11, 5, [6], [('tanh', None, False)], 4, 7, soft=True),
    ]
    for c in cases:
        write('ffnn_' + c['name'], c)
    seqs = [
        sequential_case('relu_mse_sum', 21, [('linear', 6, 5), ('relu',), ('linear', 5, 3)], 7, 'mse_sum'),
        sequential_case('swish_tanh_mse_mean', 22, [('linear', 5, 4), ('swish', 1.2, True), ('linear', 4, 3), ('tanh',),
                                                     ('linear', 3, 3)], 7, 'mse_mean'),
        sequential_case('celu_softmax_batch1', 23, [('linear', 3, 5), ('celu', 0.8, True), ('linear', 5, 4), ('softmax',)],
                        1, 'mse_sum'),
    ]
    for s in seqs:
        write('sequential_' + s['name'], s)
    write('cross_entropy', {'torch': torch.__version__, 'cases': cross_entropy_cases(31)})
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print('total %d bytes' % total, file=sys.stderr)


if __name__ == '__main__':
    main()
