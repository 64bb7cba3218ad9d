"""PyTorch side of bench/steps.mjs: cmkd's default models at a budget's widths, trained as cmkd's trainer does.

Reads one JSON command per line on stdin ({"case": {...}, "epochs": k}) and answers one JSON line
({"cpuMs", "wallMs", "steps"}: CPU and wall milliseconds per step over k epochs). Single-threaded.

Models as src/models/build.ts builds them (dropout 0.1 between hidden dense layers and before the
logits): MLP d → hidden… → classes; CNN conv3×3 'same' + ReLU + maxpool2 per channel count, flatten,
dense hidden + ReLU, logits. Adam with cmkd's epsilon (1e-7). Plain step: cross-entropy. KD step:
0.5·CE + 0.5·T²·KL(softmax(t/T) ‖ softmax(s/T)), T = 4 (cmkd's 'kd' defaults), against the frozen
teacher's logits computed once per split (as cmkd's distill does; timed apart as teacherMs), the teacher reading the
other modality. Data: N(0, 1) features, uniform labels, the same sizes as the cmkd side.
"""
import json
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

ROWS, TABLE_DIM, IMAGE, CLASSES = 1400, 216, (3, 28, 28), 10


def mlp(hidden: list[int]) -> nn.Module:
    layers: list[nn.Module] = []
    width = TABLE_DIM
    for i, units in enumerate(hidden):
        if i > 0:
            layers.append(nn.Dropout(0.1))
        layers += [nn.Linear(width, units), nn.ReLU()]
        width = units
    layers += [nn.Dropout(0.1), nn.Linear(width, CLASSES)]
    return nn.Sequential(*layers)


def cnn(channels: list[int], hidden: list[int]) -> nn.Module:
    layers: list[nn.Module] = []
    c, h = IMAGE[0], IMAGE[1]
    for filters in channels:
        layers += [nn.Conv2d(c, filters, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        c, h = filters, h // 2
    layers.append(nn.Flatten())
    width = c * h * h
    for i, units in enumerate(hidden):
        if i > 0:
            layers.append(nn.Dropout(0.1))
        layers += [nn.Linear(width, units), nn.ReLU()]
        width = units
    layers += [nn.Dropout(0.1), nn.Linear(width, CLASSES)]
    return nn.Sequential(*layers)


def kd_loss(s: torch.Tensor, t: torch.Tensor, y: torch.Tensor, temperature: float = 4.0) -> torch.Tensor:
    kl = F.kl_div(F.log_softmax(s / temperature, 1), F.log_softmax(t / temperature, 1), reduction="batchmean", log_target=True)
    return 0.5 * F.cross_entropy(s, y) + 0.5 * temperature**2 * kl


def main() -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    data = {"mlp": torch.randn(ROWS, TABLE_DIM), "cnn": torch.randn(ROWS, *IMAGE)}
    labels = torch.randint(0, CLASSES, (ROWS,))
    cache: dict[str, tuple] = {}
    print(json.dumps({"ready": True, "version": torch.__version__}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        c = cmd["case"]
        key = f"{c['budget']}:{c['model']}:{c['step']}"
        if key not in cache:
            build = {"mlp": lambda: mlp(c["table"]["hidden"]), "cnn": lambda: cnn(c["image"]["channels"], c["image"]["hidden"])}
            net = build[c["model"]]()
            other = "cnn" if c["model"] == "mlp" else "mlp"
            teacher = build[other]().eval() if c["step"] == "kd" else None
            cache[key] = (net, teacher, other)
        net, teacher, other = cache[key]
        x = data[c["model"]]
        batch, epochs = c["batchSize"], cmd["epochs"]
        t_logits, teacher_ms = None, None
        if teacher is not None:
            p0 = time.process_time()
            with torch.no_grad():
                t_logits = torch.cat([teacher(data[other][i : i + 256]) for i in range(0, ROWS, 256)])
            teacher_ms = (time.process_time() - p0) * 1000
        t0, c0 = time.perf_counter(), time.process_time()
        opt = torch.optim.Adam(net.parameters(), lr=c["lr"], eps=1e-7)
        net.train()
        steps = 0
        for e in range(epochs):
            order = torch.randperm(ROWS)
            total = torch.zeros(())
            for i in range(0, ROWS, batch):
                rows = order[i : i + batch]
                opt.zero_grad(set_to_none=True)
                out = net(x[rows])
                loss = F.cross_entropy(out, labels[rows]) if t_logits is None else kd_loss(out, t_logits[rows], labels[rows])
                loss.backward()
                opt.step()
                total += loss.detach() * len(rows)
                steps += 1
            float(total)  # one read per epoch, as cmkd's loop
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        print(json.dumps({"cpuMs": cpu * 1000 / steps, "wallMs": wall * 1000 / steps, "steps": steps, "teacherMs": teacher_ms}), flush=True)


if __name__ == "__main__":
    main()
