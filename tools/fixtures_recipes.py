#!/usr/bin/python3
# writes test/fixtures/optim/recipes.json: torch (1.13) references for the training recipes of
# test/optim/recipes.test.ts: parameter groups, per-step schedules (LinearLR, OneCycleLR,
# SequentialLR, a per-step warmup chained before a per-epoch cosine), ReduceLROnPlateau,
# clip_grad_norm_ / clip_grad_value_ and renorm (max-norm of the columns of W).
# run with Debian's python3, which has python3-torch: /usr/bin/python3 tools/fixtures_recipes.py
import json
import math
import os
import warnings

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'optim')
STEPS = 6


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def num(v):
    # json has no Infinity / NaN: strings the test turns back into numbers
    return v if math.isfinite(v) else str(v)


# two groups: w (a weight matrix) and b (a bias), as net.weights() / net.biases() give them
SHAPES = {'w': [3, 4], 'b': [4]}
GROUPED = {
    'sgd_groups': ('SGD', {'lr': 0.1, 'momentum': 0.9}, [{'weight_decay': 0.05}, {'weight_decay': 0.0, 'lr': 0.2}]),
    'sgd_groups_nesterov': ('SGD', {'lr': 0.05, 'momentum': 0.8, 'nesterov': True},
                            [{'weight_decay': 0.01}, {'momentum': 0.5, 'nesterov': False, 'dampening': 0.1}]),
    'adam_groups': ('Adam', {'lr': 0.01}, [{'weight_decay': 0.1}, {'betas': (0.8, 0.9), 'eps': 1e-6}]),
    'adamw_groups': ('AdamW', {'lr': 0.01, 'weight_decay': 0.1}, [{}, {'weight_decay': 0.0}]),
}


def groups():
    g = torch.Generator().manual_seed(20261207)
    init = {k: torch.randn(*s, generator=g, dtype=torch.float64) for k, s in SHAPES.items()}
    grads = [{k: (0.5 + step) * torch.randn(*s, generator=g, dtype=torch.float64) for k, s in SHAPES.items()} for step in range(STEPS)]
    out = {'init': {k: flat(v) for k, v in init.items()}, 'grads': [{k: flat(v) for k, v in s.items()} for s in grads], 'configs': {}}
    for name, (kind, defaults, overrides) in GROUPED.items():
        params = {k: v.clone().requires_grad_(True) for k, v in init.items()}
        spec = [dict(params=[params['w']], **overrides[0]), dict(params=[params['b']], **overrides[1])]
        opt = getattr(torch.optim, kind)(spec, foreach=False, **defaults)
        traj = []
        for step in range(STEPS):
            for k, p in params.items():
                p.grad = grads[step][k].clone()
            opt.step()
            traj.append({k: flat(p) for k, p in params.items()})
        out['configs'][name] = {
            'optimizer': kind,
            'defaults': {k: list(v) if isinstance(v, tuple) else v for k, v in defaults.items()},
            'groups': [{k: list(v) if isinstance(v, tuple) else v for k, v in o.items()} for o in overrides],
            'trajectory': traj,
        }
    return out


def lr_of(opt):
    return [g['lr'] for g in opt.param_groups]


def momentum_of(opt):
    return [g['betas'][0] if 'betas' in g else g['momentum'] for g in opt.param_groups]


def two_group_sgd(lrs=(0.1, 0.02), momentum=0.9):
    a = torch.zeros(1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    return torch.optim.SGD([{'params': [a], 'lr': lrs[0]}, {'params': [b], 'lr': lrs[1]}], lr=lrs[0], momentum=momentum)


def two_group_adam(lrs=(0.01, 0.002)):
    a = torch.zeros(1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    return torch.optim.Adam([{'params': [a], 'lr': lrs[0]}, {'params': [b], 'lr': lrs[1]}], lr=lrs[0])


# per-step schedules: (optimizer maker, schedule maker, steps); the record is every group's lr (and
# momentum / beta1) after construction and after each step. a one-cycle of T steps uses the lrs of
# steps 0..T-1: T-1 steps of the schedule
PER_STEP = {
    'linear_warmup': (two_group_sgd, lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=4), 8),
    'linear_decay': (two_group_sgd, lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=1.0, end_factor=0.25, total_iters=5), 8),
    'linear_default': (two_group_sgd, lambda o: torch.optim.lr_scheduler.LinearLR(o), 7),
    'onecycle_cos_sgd': (two_group_sgd, lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=[0.5, 0.1], total_steps=20), 19),
    'onecycle_linear_adam': (two_group_adam, lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.02, epochs=3, steps_per_epoch=5,
                                                                                           anneal_strategy='linear', pct_start=0.25), 14),
    'onecycle_three_phase': (two_group_sgd, lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.4, total_steps=17, three_phase=True,
                                                                                          div_factor=10, final_div_factor=100), 16),
    'onecycle_no_momentum': (two_group_sgd, lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.3, total_steps=10,
                                                                                          cycle_momentum=False), 9),
    'sequential_warmup_cosine': (two_group_sgd, lambda o: torch.optim.lr_scheduler.SequentialLR(o, [
        torch.optim.lr_scheduler.LinearLR(o, start_factor=0.2, total_iters=3),
        torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=6, eta_min=0.001)], milestones=[3]), 12),
    'sequential_three': (two_group_sgd, lambda o: torch.optim.lr_scheduler.SequentialLR(o, [
        torch.optim.lr_scheduler.LinearLR(o, start_factor=0.5, total_iters=2),
        torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.9),
        torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5)], milestones=[2, 5]), 10),
    'cosine_groups': (two_group_sgd, lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=5, eta_min=0.001), 10),
}


def schedules():
    out = {}
    for name, (make_opt, make_sched, steps) in PER_STEP.items():
        opt = make_opt()
        sched = make_sched(opt)
        lrs = [lr_of(opt)]
        moms = [momentum_of(opt)]
        for _ in range(steps):
            opt.step()
            sched.step()
            lrs.append(lr_of(opt))
            moms.append(momentum_of(opt))
        out[name] = {'lrs': lrs, 'momentums': moms}
    return out


# a per-step LinearLR warmup chained before a per-epoch cosine on the same optimizer: the warmup
# steps after every optimizer step, the cosine after every epoch (as trainFFNN steps them)
def chained():
    out = {}
    for name, (steps_per_epoch, epochs, warm, tmax) in {'warmup_then_cosine': (4, 5, 6, 5), 'short_warmup': (3, 4, 2, 4)}.items():
        opt = two_group_sgd()
        warmup = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.01, total_iters=warm)
        cosine = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=tmax)
        lrs = [lr_of(opt)]
        for _ in range(epochs):
            for _ in range(steps_per_epoch):
                opt.step()
                warmup.step()
                lrs.append(lr_of(opt))
            cosine.step()
            lrs.append(lr_of(opt))
        out[name] = {'stepsPerEpoch': steps_per_epoch, 'epochs': epochs, 'warmup': warm, 'tMax': tmax, 'lrs': lrs}
    return out


# ReduceLROnPlateau over a sequence of monitored values
PLATEAU = {
    'min_rel': ({'factor': 0.5, 'patience': 2}, [1.0, 0.9, 0.95, 0.92, 0.91, 0.9, 0.89, 0.95, 0.96, 0.97, 0.98, 0.5, 0.6, 0.7, 0.8]),
    'min_abs_cooldown': ({'factor': 0.1, 'patience': 1, 'threshold': 0.05, 'threshold_mode': 'abs', 'cooldown': 2, 'min_lr': [0.001, 0.0005]},
                         [1.0, 0.99, 0.98, 0.97, 0.96, 0.95, 0.5, 0.49, 0.48, 0.47, 0.46, 0.45, 0.44]),
    'max_rel': ({'mode': 'max', 'factor': 0.3, 'patience': 0}, [0.5, 0.6, 0.6, 0.7, 0.65, 0.7, 0.71, 0.8, 0.79]),
    'tiny_eps': ({'factor': 0.5, 'patience': 0, 'eps': 0.02}, [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
}


def plateau():
    out = {}
    for name, (kwargs, values) in PLATEAU.items():
        opt = two_group_sgd()
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
        lrs = [lr_of(opt)]
        for v in values:
            opt.step()
            sched.step(v)
            lrs.append(lr_of(opt))
        out[name] = {'options': kwargs, 'values': values, 'lrs': lrs}
    return out


# clip_grad_norm_ / clip_grad_value_ over three gradients (a scale makes the norm below / above)
def clipping():
    g = torch.Generator().manual_seed(7)
    shapes = [[3, 5], [5], [2, 2]]
    base = [torch.randn(*s, generator=g, dtype=torch.float64) for s in shapes]
    out = {'shapes': shapes, 'norm': [], 'value': []}
    for scale, max_norm, norm_type in [(1.0, 1.0, 2.0), (0.05, 1.0, 2.0), (3.0, 0.5, 1.0), (2.0, 0.7, math.inf), (1.0, 2.0, 3.0),
                                       (1.0, 0.0, 2.0)]:
        for dtype in (torch.float64, torch.float32):
            grads = [(scale * b).to(dtype) for b in base]
            ps = [torch.zeros_like(x, requires_grad=True) for x in grads]
            for p, x in zip(ps, grads):
                p.grad = x.clone()
            total = torch.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type)
            out['norm'].append({'dtype': str(dtype).split('.')[-1], 'scale': scale, 'maxNorm': max_norm, 'normType': num(norm_type),
                                'grads': [flat(x) for x in grads], 'totalNorm': float(total), 'clipped': [flat(p.grad) for p in ps]})
    # non-finite gradients: torch returns the non-finite norm (and, without error_if_nonfinite, scales by it)
    for bad in (math.inf, math.nan):
        grads = [b.clone() for b in base]
        grads[1][2] = bad
        ps = [torch.zeros_like(x, requires_grad=True) for x in grads]
        for p, x in zip(ps, grads):
            p.grad = x.clone()
        total = torch.nn.utils.clip_grad_norm_(ps, 1.0)
        out['nonFinite'] = out.get('nonFinite', []) + [{'bad': num(bad), 'totalNorm': num(float(total))}]
    for clip in (0.5, 0.1):
        grads = [(2 * b) for b in base]
        ps = [torch.zeros_like(x, requires_grad=True) for x in grads]
        for p, x in zip(ps, grads):
            p.grad = x.clone()
        torch.nn.utils.clip_grad_value_(ps, clip)
        out['value'].append({'clip': clip, 'grads': [flat(x) for x in grads], 'clipped': [flat(p.grad) for p in ps]})
    return out


# max-norm: each column of W (in, out) -- a unit's incoming weights -- scaled to norm <= c, as
# torch.renorm(W, p=2, dim=1, maxnorm=c) (scale c / (norm + 1e-7) where norm > c)
def max_norm():
    g = torch.Generator().manual_seed(11)
    out = []
    for (IN, OUT, c) in [(5, 3, 1.0), (8, 17, 2.0), (1, 4, 0.5), (33, 9, 3.5)]:
        for dtype in (torch.float64, torch.float32):
            w = (torch.randn(IN, OUT, generator=g, dtype=torch.float64) * torch.linspace(0.1, 1.5, OUT, dtype=torch.float64)).to(dtype)
            out.append({'dtype': str(dtype).split('.')[-1], 'IN': IN, 'OUT': OUT, 'maxNorm': c, 'w': flat(w),
                        'renormed': flat(torch.renorm(w, p=2, dim=1, maxnorm=c))})
    return out


def main():
    warnings.simplefilter('ignore')
    os.makedirs(OUT, exist_ok=True)
    data = {'torch': torch.__version__, 'groups': groups(), 'schedules': schedules(), 'chained': chained(), 'plateau': plateau(),
            'clipping': clipping(), 'maxNorm': max_norm()}
    with open(os.path.join(OUT, 'recipes.json'), 'w') as f:
        json.dump(data, f, separators=(',', ':'))
        f.write('\n')


if __name__ == '__main__':
    main()
