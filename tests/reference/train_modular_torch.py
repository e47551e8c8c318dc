#!/usr/bin/env python3
"""The grok-MLP training loop of `glassbox-cli train modular` in PyTorch, for
the speed comparison in docs/toy-models.md (not run in CI).

Same model and step as datasets/train_modular.cpp: embedding-lookup input
(rows a and p+b of W_in), quadratic activation, no biases, init
N(0, (0.5/(2N)^(1/3))^2), MSE to the one-hot label, full-batch AdamW. The split
and corruption come from torch's generator instead of Glassbox's mt19937_64, so
the sizes match exactly but the pairs differ; only the timing is compared.

    python3 tests/reference/train_modular_torch.py --threads 2 --epochs 200
"""
import argparse
import json
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--p", type=int, default=97)
    ap.add_argument("--train-frac", type=float, default=0.5)
    ap.add_argument("--corrupt", type=float, default=0.35)
    ap.add_argument("--width", type=int, default=500)
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--lr", type=float, default=1e-2)
    ap.add_argument("--weight-decay", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, required=True)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    p, n = args.p, args.width
    a, b = torch.meshgrid(torch.arange(p), torch.arange(p), indexing="ij")
    pairs = torch.stack([a.flatten(), b.flatten()], 1)
    labels = (pairs[:, 0] + pairs[:, 1]) % p
    order = torch.randperm(p * p)
    n_train = int(args.train_frac * p * p)
    n_corrupt = int(args.corrupt * n_train)
    train_rows = order[:n_train]
    train_labels = labels[train_rows].clone()
    train_labels[:n_corrupt] = torch.randint(0, p, (n_corrupt,))
    train_pairs = pairs[train_rows]
    targets = torch.nn.functional.one_hot(train_labels, p).float()

    sigma = 0.5 / (2 * n) ** (1 / 3)
    W_in = (torch.randn(2 * p, n) * sigma).requires_grad_()
    W_out = (torch.randn(n, p) * sigma).requires_grad_()
    opt = torch.optim.AdamW([W_in, W_out], lr=args.lr, betas=(0.9, 0.98), weight_decay=args.weight_decay)

    a_rows, b_rows = train_pairs[:, 0], train_pairs[:, 1] + p
    seconds = 0.0
    for _ in range(args.epochs):
        start = time.perf_counter()
        opt.zero_grad()
        pre = W_in.index_select(0, a_rows) + W_in.index_select(0, b_rows)
        loss = torch.nn.functional.mse_loss((pre * pre) @ W_out, targets)
        loss.backward()
        opt.step()
        seconds += time.perf_counter() - start

    with torch.no_grad():
        predicted = ((W_in[pairs[:, 0]] + W_in[pairs[:, 1] + p]) ** 2 @ W_out).argmax(-1)
    train_acc = (predicted[train_rows] == train_labels).float().mean().item()
    print(json.dumps({"torch": torch.__version__, "threads": args.threads, "epochs": args.epochs,
                      "train_seconds": seconds, "seconds_per_epoch": seconds / args.epochs,
                      "train_accuracy": train_acc}, indent=2))


if __name__ == "__main__":
    main()
