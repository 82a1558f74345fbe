"""PyTorch CPU peer for bench/engine.ts: the same Llama forward (RMSNorm, rotate-half RoPE, GQA,
SwiGLU, tied classifier) on the weights (weights.safetensors) and tokens (manifest.json) engine.ts
wrote, timed the same way.
Prints one JSON line: {"seconds": [...], "torch": version, "logits_sample": [...]}.
Run with /usr/bin/python3 (Debian's python3-torch) and OMP_WAIT_POLICY=PASSIVE."""
import json
import struct
import sys
import time

import numpy as np
import torch


def read_safetensors(path):
    """float32 tensors of a safetensors file (8-byte header length, JSON header, raw data)."""
    with open(path, "rb") as f:
        length = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(length))
        data = f.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        tensors[name] = torch.from_numpy(np.frombuffer(data[start:end], dtype=np.float32).copy()).reshape(entry["shape"])
    return tensors


def main(directory):
    manifest = json.load(open(f"{directory}/manifest.json"))
    config = manifest["config"]
    torch.set_num_threads(manifest["threads"])
    weights = read_safetensors(f"{directory}/weights.safetensors")
    tokens = torch.tensor(manifest["tokens"], dtype=torch.long).reshape(manifest["batch"], manifest["time"])
    C, H, KVH, hd = config["hiddenSize"], config["heads"], config["kvHeads"], config["headDim"]
    eps = config["rmsNormEps"]
    B, T = tokens.shape
    inverse = 1.0 / (config["ropeTheta"] ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
    angles = torch.arange(T, dtype=torch.float32)[:, None] * inverse[None, :]
    cos = torch.cat([angles.cos(), angles.cos()], dim=-1)
    sin = torch.cat([angles.sin(), angles.sin()], dim=-1)
    causal = torch.full((T, T), float("-inf")).triu(1)

    def rmsnorm(x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w

    def rotate(x):
        half = x.shape[-1] // 2
        return x * cos + torch.cat([-x[..., half:], x[..., :half]], dim=-1) * sin

    def forward():
        x = weights["embedding"][tokens]
        for l in range(config["layers"]):
            w = lambda name: weights[f"layers.{l}.{name}"]
            h = rmsnorm(x, w("attentionNorm"))
            q = (h @ w("query").T).view(B, T, H, hd).transpose(1, 2)
            k = (h @ w("key").T).view(B, T, KVH, hd).transpose(1, 2)
            v = (h @ w("value").T).view(B, T, KVH, hd).transpose(1, 2)
            q, k = rotate(q), rotate(k)
            k = k.repeat_interleave(H // KVH, dim=1)
            v = v.repeat_interleave(H // KVH, dim=1)
            scores = (q @ k.transpose(-1, -2)) / (hd**0.5) + causal
            attention = (scores.softmax(-1) @ v).transpose(1, 2).reshape(B, T, H * hd)
            x = x + attention @ w("attentionOutput").T
            h = rmsnorm(x, w("mlpNorm"))
            x = x + (torch.nn.functional.silu(h @ w("gate").T) * (h @ w("up").T)) @ w("down").T
        return rmsnorm(x, weights["finalNorm"]) @ weights["embedding"].T

    with torch.inference_mode():
        forward()  # warm-up
        seconds = []
        for _ in range(manifest["repeats"]):
            start = time.perf_counter()
            logits = forward()
            seconds.append(time.perf_counter() - start)
    sample = logits[0, -1, :16].tolist() + logits[-1, 5, :16].tolist()
    print(json.dumps({"seconds": seconds, "torch": torch.__version__, "logits_sample": sample}))


if __name__ == "__main__":
    main(sys.argv[1])
