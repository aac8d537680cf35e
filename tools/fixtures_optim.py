#!/usr/bin/python3
# writes test/fixtures/optim/*.json: torch.optim (1.13) trajectories that test/optim replays.
# run with Debian's python3, which has python3-torch: /usr/bin/python3 tools/fixtures_optim.py
import json
import math
import os
import warnings

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'optim')
STEPS = 5
EPOCHS = 20

# shapes of the parameters; 's' has no gradient on step 2 (index), to check that it is skipped
SHAPES = {'w': [3, 4], 'b': [4], 's': [2]}
NO_GRAD = {'s': [2]}


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def make_data():
    g = torch.Generator().manual_seed(20240607)
    init = {k: torch.randn(*s, generator=g, dtype=torch.float64) for k, s in SHAPES.items()}
    grads = []
    for step in range(STEPS):
        # scaled per step so that momentum and moment estimates see changing magnitudes
        scale = 0.5 + 0.5 * step
        grads.append({
            k: None if step in NO_GRAD.get(k, []) else scale * torch.randn(*s, generator=g, dtype=torch.float64)
            for k, s in SHAPES.items()
        })
    return init, grads


# each config: the torch class, its keyword arguments (torch names), the l1 coefficient added to
# the gradient before the step (ffnn's option, emulated here), and hyper-parameter changes applied
# before a given step (as the training loop switches regularization on after some epochs)
CONFIGS = {
    'sgd_plain': ('SGD', {'lr': 0.1}, 0.0, {}),
    'sgd_momentum': ('SGD', {'lr': 0.1, 'momentum': 0.9}, 0.0, {}),
    'sgd_dampening': ('SGD', {'lr': 0.1, 'momentum': 0.9, 'dampening': 0.3}, 0.0, {}),
    'sgd_nesterov': ('SGD', {'lr': 0.1, 'momentum': 0.9, 'nesterov': True}, 0.0, {}),
    'sgd_weight_decay': ('SGD', {'lr': 0.1, 'momentum': 0.9, 'weight_decay': 0.01}, 0.0, {}),
    'sgd_plain_weight_decay': ('SGD', {'lr': 0.05, 'weight_decay': 0.1}, 0.0, {}),
    'sgd_nesterov_weight_decay_l1': ('SGD', {'lr': 0.1, 'momentum': 0.8, 'nesterov': True, 'weight_decay': 0.05}, 0.02, {}),
    'sgd_late_regularization': ('SGD', {'lr': 0.1, 'momentum': 0.9}, 0.0,
                                {2: {'weight_decay': 0.05, 'l1': 0.01}, 3: {'lr': 0.05}}),
    'adam_plain': ('Adam', {'lr': 0.01}, 0.0, {}),
    'adam_betas_eps': ('Adam', {'lr': 0.02, 'betas': (0.8, 0.95), 'eps': 1e-6}, 0.0, {}),
    'adam_weight_decay': ('Adam', {'lr': 0.01, 'weight_decay': 0.1}, 0.0, {}),
    'adamw': ('AdamW', {'lr': 0.01, 'weight_decay': 0.1}, 0.0, {}),
    'adamw_l1': ('AdamW', {'lr': 0.01, 'weight_decay': 0.1}, 0.02, {}),
    'adam_late_regularization': ('Adam', {'lr': 0.01}, 0.0, {2: {'weight_decay': 0.1, 'l1': 0.01}, 4: {'lr': 0.001}}),
}


def run(kind, kwargs, l1, changes, init, grads, dtype):
    params = {k: v.clone().to(dtype).requires_grad_(True) for k, v in init.items()}
    opt_kwargs = dict(kwargs)
    if kind == 'SGD':
        opt = torch.optim.SGD(list(params.values()), foreach=False, **opt_kwargs)
    elif kind == 'Adam':
        opt = torch.optim.Adam(list(params.values()), foreach=False, **opt_kwargs)
    else:
        opt = torch.optim.AdamW(list(params.values()), foreach=False, **opt_kwargs)
    group = opt.param_groups[0]
    trajectory = []
    for step in range(STEPS):
        for name, value in changes.get(step, {}).items():
            if name == 'l1':
                l1 = value
            else:
                group[name] = value
        for k, p in params.items():
            g = grads[step][k]
            if g is None:
                p.grad = None
                continue
            g = g.to(dtype)
            # ffnn's l1 option: l1 * sign(param) joins the gradient before weight decay
            p.grad = g + l1 * torch.sign(p.detach()) if l1 != 0 else g.clone()
        opt.step()
        record = {'params': {k: flat(p) for k, p in params.items()}, 'state': {}}
        for k, p in params.items():
            st = opt.state.get(p, {})
            entry = {}
            if 'momentum_buffer' in st and st['momentum_buffer'] is not None:
                entry['momentumBuffer'] = flat(st['momentum_buffer'])
            if 'exp_avg' in st:
                entry['expAvg'] = flat(st['exp_avg'])
                entry['expAvgSq'] = flat(st['exp_avg_sq'])
                entry['step'] = int(st['step'].item())
            record['state'][k] = entry
        trajectory.append(record)
    return trajectory


def optimizers():
    init, grads = make_data()
    out = {
        'torch': torch.__version__,
        'shapes': SHAPES,
        'init': {k: flat(v) for k, v in init.items()},
        'grads': [{k: None if g is None else flat(g) for k, g in step.items()} for step in grads],
        'configs': {},
    }
    for name, (kind, kwargs, l1, changes) in CONFIGS.items():
        out['configs'][name] = {
            'optimizer': kind,
            'options': {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()},
            'l1': l1,
            'changes': {str(k): v for k, v in changes.items()},
            'float64': run(kind, kwargs, l1, changes, init, grads, torch.float64),
            'float32': run(kind, kwargs, l1, changes, init, grads, torch.float32),
        }
    return out


SCHEDULES = {
    'step': ('StepLR', 0.1, {'step_size': 3, 'gamma': 0.5}),
    'step_1': ('StepLR', 0.2, {'step_size': 1, 'gamma': 0.7}),
    'exponential': ('ExponentialLR', 0.1, {'gamma': 0.9}),
    'cosine': ('CosineAnnealingLR', 0.1, {'T_max': 7, 'eta_min': 0.001}),
    'cosine_zero_min': ('CosineAnnealingLR', 0.05, {'T_max': 10, 'eta_min': 0.0}),
    'cosine_t1': ('CosineAnnealingLR', 0.3, {'T_max': 1, 'eta_min': 0.01}),
}


def schedules():
    out = {'torch': torch.__version__, 'epochs': EPOCHS, 'schedules': {}}
    for name, (kind, lr, kwargs) in SCHEDULES.items():
        p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.SGD([p], lr=lr)
        sched = getattr(torch.optim.lr_scheduler, kind)(opt, **kwargs)
        lrs = [sched.get_last_lr()[0]]
        for _ in range(EPOCHS):
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr()[0])
        assert all(math.isfinite(v) for v in lrs)
        out['schedules'][name] = {'scheduler': kind, 'lr': lr, 'options': kwargs, 'lrs': lrs}
    # a second schedule created on the same optimizer after the first ran: torch starts it from the
    # 'initial_lr' the first one recorded, not from the decayed lr
    out['restarts'] = {}
    for name, (first, epochs1, second) in RESTARTS.items():
        p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.SGD([p], lr=0.1)
        sched = getattr(torch.optim.lr_scheduler, first[0])(opt, **first[1])
        lrs = []
        for _ in range(epochs1):
            opt.step()
            sched.step()
            lrs.append(opt.param_groups[0]['lr'])
        sched = getattr(torch.optim.lr_scheduler, second[0])(opt, **second[1])
        for _ in range(EPOCHS - epochs1):
            opt.step()
            sched.step()
            lrs.append(opt.param_groups[0]['lr'])
        out['restarts'][name] = {'lr': 0.1, 'first': first, 'epochs1': epochs1, 'second': second, 'lrs': lrs}
    return out


RESTARTS = {
    'step_then_cosine': (('StepLR', {'step_size': 1, 'gamma': 0.5}), 3, ('CosineAnnealingLR', {'T_max': 2, 'eta_min': 0.0})),
    'exponential_then_step': (('ExponentialLR', {'gamma': 0.8}), 4, ('StepLR', {'step_size': 2, 'gamma': 0.5})),
}


def main():
    warnings.simplefilter('ignore')
    os.makedirs(OUT, exist_ok=True)
    for fname, data in (('optimizers.json', optimizers()), ('schedules.json', schedules())):
        with open(os.path.join(OUT, fname), 'w') as f:
            json.dump(data, f, separators=(",", ":"))
            f.write('\n')


if __name__ == '__main__':
    main()
