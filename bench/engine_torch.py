"""PyTorch CPU peer for bench/engine.ts: the same Llama forward (RMSNorm, rotate-half RoPE, GQA,
SwiGLU, tied classifier) on the weights and tokens engine.ts wrote, timed the same way.
Prints one JSON line: {"seconds": [...], "torch": version, "logits_sample": [...]}.
Run with /usr/bin/python3 (Debian's python3-torch) and OMP_WAIT_POLICY=PASSIVE."""
import json
import sys
import time

import numpy as np
import torch


def main(directory):
    manifest = json.load(open(f"{directory}/manifest.json"))
    config = manifest["config"]
    torch.set_num_threads(manifest["threads"])
    blob = np.memmap(f"{directory}/weights.bin", dtype=np.float32, mode="r")

    def tensor(entry):
        count = int(np.prod(entry["shape"]))
        return torch.from_numpy(np.array(blob[entry["offset"] : entry["offset"] + count])).reshape(entry["shape"])

    weights = {name: tensor(entry) for name, entry in manifest["tensors"].items()}
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
