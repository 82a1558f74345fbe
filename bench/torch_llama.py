"""The PyTorch peer the benchmarks measure against: reads weights.safetensors and manifest.json written by
bench/*.ts and runs the same Llama forward (RMSNorm, rotate-half RoPE, GQA, SwiGLU, tied classifier)
from input embeddings. Shared by engine_torch.py and soft_torch.py."""
import json
import struct
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


def timed(step, repeats):
    """Runs `step` once to warm up, then `repeats` times timed: (the seconds of each, the last result)."""
    result = step()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = step()
        seconds.append(time.perf_counter() - start)
    return seconds, result


class TorchLlama:
    def __init__(self, directory):
        self.manifest = json.load(open(f"{directory}/manifest.json"))
        torch.set_num_threads(self.manifest["threads"])
        self.config = self.manifest["config"]
        self.weights = read_safetensors(f"{directory}/weights.safetensors")

    def forward(self, x, lora=None, scale=1.0, prefix=None, dropout=0.0):
        """Logits (B, T, V) for input embeddings x (B, T, C); with `lora` ({"layers.l.name": (A, B)}), each
        of those projections adds scale * (h A^T) B^T, as PEFT's LoRA layers do; with `prefix` (L, 2, P,
        KVH*hd), every layer attends to its P keys and values first, as past ones, the text at positions P..
        (PEFT's prefix tuning)."""
        config, weights = self.config, self.weights
        C, H, KVH, hd = config["hiddenSize"], config["heads"], config["kvHeads"], config["headDim"]
        eps = config["rmsNormEps"]
        B, T, _ = x.shape
        inverse = 1.0 / (config["ropeTheta"] ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
        P = 0 if prefix is None else prefix.shape[2]
        angles = torch.arange(P, P + T, dtype=torch.float32)[:, None] * inverse[None, :]
        cos = torch.cat([angles.cos(), angles.cos()], dim=-1)
        sin = torch.cat([angles.sin(), angles.sin()], dim=-1)
        causal = torch.full((T, P + T), float("-inf")).triu(P + 1)

        def rmsnorm(x, w):
            return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w

        def rotate(x):
            half = x.shape[-1] // 2
            return x * cos + torch.cat([-x[..., half:], x[..., :half]], dim=-1) * sin

        for l in range(config["layers"]):
            w = lambda name: weights[f"layers.{l}.{name}"]

            def project(h, name):
                out = h @ w(name).T
                pair = lora and lora.get(f"layers.{l}.{name}")
                if pair is None:
                    return out
                # PEFT's lora_dropout: the product's input dropped while training, the frozen one's not
                dropped = torch.nn.functional.dropout(h, dropout, training=True) if dropout else h
                return out + ((dropped @ pair[0].T) @ pair[1].T) * scale

            h = rmsnorm(x, w("attentionNorm"))
            q = project(h, "query").view(B, T, H, hd).transpose(1, 2)
            k = project(h, "key").view(B, T, KVH, hd).transpose(1, 2)
            v = project(h, "value").view(B, T, KVH, hd).transpose(1, 2)
            q, k = rotate(q), rotate(k)
            if prefix is not None:
                past = prefix[l].view(2, P, KVH, hd).transpose(1, 2)  # (2, KVH, P, hd)
                k = torch.cat([past[0].expand(B, -1, -1, -1), k], dim=2)
                v = torch.cat([past[1].expand(B, -1, -1, -1), v], dim=2)
            k = k.repeat_interleave(H // KVH, dim=1)
            v = v.repeat_interleave(H // KVH, dim=1)
            scores = (q @ k.transpose(-1, -2)) / (hd**0.5) + causal
            attention = (scores.softmax(-1) @ v).transpose(1, 2).reshape(B, T, H * hd)
            x = x + project(attention, "attentionOutput")
            h = rmsnorm(x, w("mlpNorm"))
            x = x + project(torch.nn.functional.silu(project(h, "gate")) * project(h, "up"), "down")
        return rmsnorm(x, weights["finalNorm"]) @ weights["embedding"].T

    def embed(self, tokens):
        return self.weights["embedding"][tokens]

    def batch(self):
        """The manifest's token ids and next-token targets (-1: not scored), each (batch, time)."""
        shape = (self.manifest["batch"], self.manifest["time"])
        tokens = torch.tensor(self.manifest["tokens"], dtype=torch.long).reshape(shape)
        return tokens, torch.tensor(self.manifest["targets"], dtype=torch.long).reshape(shape)


def target_loss(logits, targets):
    """Mean cross-entropy over the scored positions, as the engine's training loss."""
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-1)
