"""Writes tiny random Llama-family checkpoints in Hugging Face format with reference logits, for the
engine's parity tests on features stories260K does not have: Qwen2's Q/K/V biases and untied
classifier, llama3 RoPE scaling, a single key/value head, Mistral's sliding window, other RMSNorm eps
and RoPE theta.

The forward pass here is an independent float64 PyTorch implementation written from the
transformers Llama/Qwen2 definitions (rotate-half RoPE, GQA by repeating key/value heads, SwiGLU).
Run: /usr/bin/python3 tools/reference/tiny_llama_family.py  (needs Debian's python3-torch)
Outputs test/fixtures/<name>/{config.json, model.safetensors, reference.json}."""
import json
import math
import os
import struct

import torch

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures")

MODELS = {
    "tiny-mistral": dict(
        model_type="mistral", hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, vocab_size=64, max_position_embeddings=128, rms_norm_eps=1e-5,
        rope_theta=10000.0, tie_word_embeddings=False, sliding_window=8, bos_token_id=1, eos_token_id=2,
    ),
    "tiny-qwen2": dict(
        model_type="qwen2", hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, vocab_size=64, max_position_embeddings=128, rms_norm_eps=1e-6,
        rope_theta=1000000.0, tie_word_embeddings=False, bos_token_id=1, eos_token_id=2,
    ),
    "tiny-llama3": dict(
        model_type="llama", hidden_size=32, intermediate_size=40, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=1, head_dim=8, vocab_size=64, max_position_embeddings=256, rms_norm_eps=1e-5,
        rope_theta=500000.0, tie_word_embeddings=True, attention_bias=False, bos_token_id=1, eos_token_id=[2, 3],
        rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
                          original_max_position_embeddings=16),
    ),
}


def inverse_frequencies(config, head_dim):
    inv = 1.0 / (config["rope_theta"] ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim))
    scaling = config.get("rope_scaling")
    if scaling and scaling["rope_type"] == "llama3":
        factor, low, high = scaling["factor"], scaling["low_freq_factor"], scaling["high_freq_factor"]
        original = scaling["original_max_position_embeddings"]
        wavelength = 2 * math.pi / inv
        scaled = torch.where(wavelength > original / low, inv / factor, inv)
        smooth = (original / wavelength - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wavelength < original / high) & ~(wavelength > original / low)
        inv = torch.where(medium, smoothed, scaled)
    return inv


def make_weights(config, generator):
    C, I = config["hidden_size"], config["intermediate_size"]
    H, KVH = config["num_attention_heads"], config["num_key_value_heads"]
    hd = config.get("head_dim", C // H)
    V = config["vocab_size"]
    normal = lambda *shape: torch.randn(*shape, generator=generator, dtype=torch.float64) * 0.2
    weights = {"model.embed_tokens.weight": normal(V, C), "model.norm.weight": 1 + normal(C) * 0.5}
    biased = config["model_type"] == "qwen2" or config.get("attention_bias")
    for l in range(config["num_hidden_layers"]):
        p = f"model.layers.{l}."
        weights[p + "input_layernorm.weight"] = 1 + normal(C) * 0.5
        weights[p + "post_attention_layernorm.weight"] = 1 + normal(C) * 0.5
        weights[p + "self_attn.q_proj.weight"] = normal(H * hd, C)
        weights[p + "self_attn.k_proj.weight"] = normal(KVH * hd, C)
        weights[p + "self_attn.v_proj.weight"] = normal(KVH * hd, C)
        weights[p + "self_attn.o_proj.weight"] = normal(C, H * hd)
        if biased:
            weights[p + "self_attn.q_proj.bias"] = normal(H * hd)
            weights[p + "self_attn.k_proj.bias"] = normal(KVH * hd)
            weights[p + "self_attn.v_proj.bias"] = normal(KVH * hd)
        weights[p + "mlp.gate_proj.weight"] = normal(I, C)
        weights[p + "mlp.up_proj.weight"] = normal(I, C)
        weights[p + "mlp.down_proj.weight"] = normal(C, I)
    if not config["tie_word_embeddings"]:
        weights["lm_head.weight"] = normal(V, C)
    # the stored checkpoint is float32; the reference runs on exactly those values in float64
    return {name: w.float().double() for name, w in weights.items()}


def forward(config, weights, tokens):
    C, H, KVH = config["hidden_size"], config["num_attention_heads"], config["num_key_value_heads"]
    hd = config.get("head_dim", C // H)
    eps = config["rms_norm_eps"]
    T = len(tokens)
    angles = torch.arange(T, dtype=torch.float64)[:, None] * inverse_frequencies(config, hd)[None, :]
    cos = torch.cat([angles.cos(), angles.cos()], -1)
    sin = torch.cat([angles.sin(), angles.sin()], -1)

    def rmsnorm(x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w

    def rotate(x):
        return x * cos + torch.cat([-x[..., hd // 2:], x[..., : hd // 2]], -1) * sin

    def linear(x, name):
        y = x @ weights[name + ".weight"].T
        return y + weights[name + ".bias"] if name + ".bias" in weights else y

    x = weights["model.embed_tokens.weight"][torch.tensor(tokens)]
    mask = torch.full((T, T), float("-inf"), dtype=torch.float64).triu(1)
    if config.get("sliding_window"):
        # Mistral: query i sees keys j with i - window < j <= i
        mask = mask + torch.full((T, T), float("-inf"), dtype=torch.float64).tril(-config["sliding_window"])
    for l in range(config["num_hidden_layers"]):
        p = f"model.layers.{l}."
        h = rmsnorm(x, weights[p + "input_layernorm.weight"])
        q = linear(h, p + "self_attn.q_proj").view(T, H, hd).transpose(0, 1)
        k = linear(h, p + "self_attn.k_proj").view(T, KVH, hd).transpose(0, 1)
        v = linear(h, p + "self_attn.v_proj").view(T, KVH, hd).transpose(0, 1)
        q, k = rotate(q), rotate(k)
        k, v = k.repeat_interleave(H // KVH, 0), v.repeat_interleave(H // KVH, 0)
        attention = ((q @ k.transpose(-1, -2)) / math.sqrt(hd) + mask).softmax(-1) @ v
        x = x + linear(attention.transpose(0, 1).reshape(T, H * hd), p + "self_attn.o_proj")
        h = rmsnorm(x, weights[p + "post_attention_layernorm.weight"])
        x = x + linear(torch.nn.functional.silu(linear(h, p + "mlp.gate_proj")) * linear(h, p + "mlp.up_proj"), p + "mlp.down_proj")
    classifier = weights.get("lm_head.weight", weights["model.embed_tokens.weight"])
    return rmsnorm(x, weights["model.norm.weight"]) @ classifier.T


def write_safetensors(path, weights):
    header, offset, blobs = {}, 0, []
    for name, w in weights.items():
        data = w.float().contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(w.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main():
    for seed, (name, config) in enumerate(MODELS.items()):
        generator = torch.Generator().manual_seed(100 + seed)  # seeds 100, 101, 102 in MODELS order
        weights = make_weights(config, generator)
        tokens = torch.randint(3, config["vocab_size"], (40,), generator=generator).tolist()
        logits = forward(config, weights, tokens)
        folder = os.path.join(ROOT, name)
        os.makedirs(folder, exist_ok=True)
        json.dump(config, open(os.path.join(folder, "config.json"), "w"), indent=1)
        write_safetensors(os.path.join(folder, "model.safetensors"), weights)
        json.dump({"description": f"float64 PyTorch forward of {name} (tools/reference/tiny_llama_family.py)",
                   "tokens": tokens, "logits": [[float(f"{v:.9g}") for v in row] for row in logits.tolist()]},
                  open(os.path.join(folder, "reference.json"), "w"))
        print(name, "tokens", len(tokens), "logits", tuple(logits.shape))


if __name__ == "__main__":
    main()
