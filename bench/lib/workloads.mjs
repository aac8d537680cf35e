// the Speed issue's workloads, one definition shared by ffnn and every peer (peers get it as JSON)
// sizes: layer widths input..output; loss 'mse-sum' (summed squared error against one-hot targets)
// or 'ce' (softmax cross-entropy on class indices); lr/momentum: plain SGD as torch.optim.SGD

export const W5_BATCHES = [1, 8, 32, 128, 512];
export const GEMM_SHAPES = [
  { id: '512', M: 512, K: 512, N: 512, target: 0.95 },
  { id: '1024', M: 1024, K: 1024, N: 1024, target: 0.95 },
  { id: '2048', M: 2048, K: 2048, N: 2048, target: 0.95 },
  { id: 'M16 K784 N256', M: 16, K: 784, N: 256, target: 1.2 },
  { id: 'M64 K784 N256', M: 64, K: 784, N: 256, target: 1.2 },
  { id: 'M256 K1024 N1024', M: 256, K: 1024, N: 1024, target: 1.2 },
];

const W1 = { kind: 'mlp', sizes: [784, 256, 10], loss: 'mse-sum', batch: 16, lr: 1e-3, momentum: 0 };

// every task: id, workload, unit ('samples/s' higher is better, 's/epoch' lower is better), params
export function trainingTasks(only) {
  const tasks = [
    { id: 'W1', workload: 'W1', unit: 'samples/s', p: W1 },
    {
      id: 'W2', workload: 'W2', unit: 'samples/s',
      p: { kind: 'ffnn', F: 300, hidden: [50, 30], acts: ['relu', 'sigmoid'], C: 10, N: 1000, epochs: 20, batch: 8, lr: 0.05, momentum: 0 },
    },
    {
      id: 'W3', workload: 'W3', unit: 's/epoch',
      p: { kind: 'mnist', sizes: [784, 256, 128, 10], batch: 64, lr: 0.05, momentum: 0.9 },
    },
    { id: 'W4', workload: 'W4', unit: 'samples/s', p: { kind: 'mlp', sizes: [784, 1024, 1024, 10], loss: 'ce', batch: 256, lr: 0.01, momentum: 0 } },
    // the summed loss grows with the batch: above 16, lr scaled by 16 / batch (W1's lr diverges at 512)
    ...W5_BATCHES.map((b) => ({ id: `W5 b${b}`, workload: 'W5', unit: 'samples/s', p: { ...W1, batch: b, lr: W1.lr * Math.min(1, 16 / b) } })),
    // the dropout paper's MNIST net: Dropout(pIn), then per hidden layer Linear, ReLU, Dropout(p);
    // CrossEntropyLoss, SGD momentum; trainFFNN over N random samples (one shuffled epoch per repeat)
    {
      id: 'D3', workload: 'D3', unit: 'samples/s',
      p: { kind: 'dropout', sizes: [784, 1024, 1024, 1024, 10], pIn: 0.2, p: 0.5, N: 3000, batch: 100, lr: 0.01, momentum: 0.9 },
    },
  ];
  return tasks.filter((t) => only === null || only.includes(t.workload));
}

export function gemmTasks(only) {
  if (only !== null && !only.includes('GEMM')) return [];
  return GEMM_SHAPES.map((s) => ({ id: `gemm ${s.id}`, workload: 'GEMM', unit: 'GFLOP/s', p: { kind: 'gemm', ...s } }));
}

// what the issue measured for PyTorch 1.13 on these machines (shown beside this run's figures)
export const ISSUE_TORCH = {
  W1: 30000, W2: 42000, W3: 1.24, W4: 19300,
  'W5 b1': 2600, 'W5 b8': 16000, 'W5 b32': 45000, 'W5 b128': 100000, 'W5 b512': 139000,
};

// time budget of one repeat, seconds (each contender calibrates its step count to it)
export function repSeconds(quick) {
  return quick ? 0.15 : 0.3;
}
