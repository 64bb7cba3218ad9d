"""PyTorch side of bench/train.mjs: the same MLP / CNN, data sizes, batch and optimizer.

Prints one JSON line: {"model", "threads", "version", "epochs": [seconds...], "loss", "peakRssMB"}.
Run by bench/train.mjs; by hand: /usr/bin/python3 bench/train_torch.py --model cnn --epochs 3
"""
import argparse
import json
import resource
import time

import torch
from torch import nn

N, BATCH, LR = 10_000, 128, 1e-3


def build(model: str) -> tuple[nn.Module, tuple[int, ...]]:
    if model == "mlp":
        net = nn.Sequential(nn.Linear(100, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
        return net, (100,)
    net = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10),
    )
    return net, (1, 28, 28)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", choices=["mlp", "cnn"], required=True)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net, shape = build(a.model)
    x = torch.randn(N, *shape)
    y = torch.randint(0, 10, (N,))
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()

    def epoch(seed: int) -> tuple[float, float, float]:
        g = torch.Generator().manual_seed(seed)
        order = torch.randperm(N, generator=g)
        t0 = time.perf_counter()
        c0 = time.process_time()
        total = torch.zeros(())
        for i in range(0, N, BATCH):
            rows = order[i:i + BATCH]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(x[rows]), y[rows])
            loss.backward()
            opt.step()
            total += loss.detach() * len(rows)
        return time.perf_counter() - t0, time.process_time() - c0, float(total) / N

    epoch(-1)  # warm-up, as on the cmkd side
    results = [epoch(e) for e in range(a.epochs)]
    print(json.dumps({
        "model": a.model,
        "threads": torch.get_num_threads(),
        "version": torch.__version__,
        "epochs": [r[0] for r in results],
        "cpu": [r[1] for r in results],
        "loss": [r[2] for r in results],
        "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
