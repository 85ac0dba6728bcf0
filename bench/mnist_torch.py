#!/usr/bin/env python3
"""The MNIST tour's two recipes in PyTorch 1.13, the reference for
examples/mnist_tour.cpp: same data, normalisation, networks, optimiser,
batch sizes and epochs; prints test accuracy, training time and inference
latency (batch 1) / throughput (batch 256) in the same words as the tour.

Run with Debian's Python (it has python3-torch):
    /usr/bin/python3 bench/mnist_torch.py [--threads 2] [--mlp-epochs 5] [--cnn-epochs 1]
bench/mnist_side_by_side.sh runs this and the braid tour in one go.
"""
import argparse
import os
import statistics
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.environ.get("BRAID_MNIST_DIR",
                      os.path.join(os.path.dirname(__file__), "..", ".cache", "mnist"))


def read_idx(path):
    with open(path, "rb") as f:
        raw = f.read()
    magic, = struct.unpack(">I", raw[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(split):
    images = read_idx(os.path.join(ROOT, f"{split}-images-idx3-ubyte"))
    labels = read_idx(os.path.join(ROOT, f"{split}-labels-idx1-ubyte"))
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    x = (x - 0.1307) / 0.3081
    return x, torch.from_numpy(labels.astype(np.int64))


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2),
                         nn.Linear(128, 10))


def cnn():
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(),
                         nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))


# The same networks as subclassed modules (the twins of MLP and CNN in
# examples/mnist_tour.cpp); --subclassed trains these instead.
class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.drop = nn.Dropout(0.2)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(self.drop(F.relu(self.fc1(x.flatten(1)))))


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.drop1 = nn.Dropout(0.25)
        self.fc1 = nn.Linear(9216, 128)
        self.drop2 = nn.Dropout(0.5)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        h = F.relu(self.conv2(F.relu(self.conv1(x))))
        h = self.drop1(F.max_pool2d(h, 2))
        return self.fc2(self.drop2(F.relu(self.fc1(h.flatten(1)))))


def train(model, x, y, epochs, batch):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(0)
    t0 = time.perf_counter()
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(x.shape[0], generator=g)
        for i in range(0, x.shape[0], batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = F.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
    return time.perf_counter() - t0


@torch.no_grad()
def accuracy(model, x, y):
    model.eval()
    correct = 0
    for i in range(0, x.shape[0], 1000):
        correct += (model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item()
    return correct / x.shape[0]


@torch.no_grad()
def inference(model, x, reps):
    model.eval()
    one, big = x[:1], x[:256]
    for _ in range(5):
        model(one)
        model(big)
    lat = []
    for _ in range(reps):
        t = time.perf_counter()
        model(one)
        lat.append(time.perf_counter() - t)
    thr = []
    for _ in range(max(3, reps // 20)):
        t = time.perf_counter()
        model(big)
        thr.append(256 / (time.perf_counter() - t))
    return statistics.median(lat) * 1e3, statistics.median(thr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--mlp-epochs", type=int, default=5)
    ap.add_argument("--cnn-epochs", type=int, default=1)
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--subclassed", action="store_true", help="train the Module twins")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    xtr, ytr = load("train")
    xte, yte = load("t10k")
    print(f"pytorch {torch.__version__}, {torch.get_num_threads()} threads")
    for name, make, epochs, batch in (("MLP", MLP if a.subclassed else mlp, a.mlp_epochs, 64),
                                      ("CNN", CNN if a.subclassed else cnn, a.cnn_epochs, 128)):
        model = make()
        secs = train(model, xtr, ytr, epochs, batch)
        acc = accuracy(model, xte, yte)
        lat, thr = inference(model, xte, a.reps)
        print(f"torch {name}: test accuracy {acc * 100:.2f} % after {epochs} epoch(s), "
              f"train {secs:.1f} s, latency b=1 {lat:.3f} ms, throughput b=256 {thr:.0f} img/s")


if __name__ == "__main__":
    main()
