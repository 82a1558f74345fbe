"""Writes tiny random checkpoints of newer architectures with transformers itself, and transformers' own
logits and greedy tokens as the reference, for the engine's parity tests (src/engine/architectures.test.ts).

Each model: a small config of the architecture (head_dim unlike hidden/heads where the architecture allows
it), weights from transformers' own random init with a fixed seed (norm weights perturbed so a
misplaced norm shows), saved with save_pretrained (config.json + model.safetensors), then the logits of a
fixed token sequence (float32) and 8 greedy tokens after its first 6 tokens (model.generate).
Run: python -m venv /tmp/venv && /tmp/venv/bin/pip install torch transformers  (the machine's local index)
     /tmp/venv/bin/python tools/reference/transformers_architectures.py
Outputs test/fixtures/<name>/{config.json, model.safetensors, reference.json}."""
import json
import sys
import os

import torch
import transformers

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures")

MODELS = {
    "tiny-qwen3": (
        "Qwen3Config",
        dict(
            hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, head_dim=32, vocab_size=320, max_position_embeddings=256,
            rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=True, bos_token_id=1,
            eos_token_id=2, attention_bias=False, use_sliding_window=False, initializer_range=0.25,
        ),
    ),
    # Qwen2 with its sliding window on (use_sliding_window): layers from max_window_layers on slide
    "tiny-qwen2-sliding": (
        "Qwen2Config",
        dict(
            hidden_size=64, intermediate_size=96, num_hidden_layers=3, num_attention_heads=4,
            num_key_value_heads=2, vocab_size=320, max_position_embeddings=256, rms_norm_eps=1e-6,
            rope_theta=1000000.0, tie_word_embeddings=False, bos_token_id=1, eos_token_id=2,
            use_sliding_window=True, sliding_window=5, max_window_layers=1, initializer_range=0.25,
        ),
    ),
    # SmolLM3: every fourth layer has no RoPE (no_rope_layer_interval 4: layers 3 and 7 here)
    "tiny-smollm3": (
        "SmolLM3Config",
        dict(
            hidden_size=64, intermediate_size=96, num_hidden_layers=8, num_attention_heads=4,
            num_key_value_heads=2, vocab_size=320, max_position_embeddings=256, rms_norm_eps=1e-6,
            rope_theta=5000000.0, tie_word_embeddings=True, bos_token_id=1, eos_token_id=2,
            use_sliding_window=False, initializer_range=0.25, no_rope_layer_interval=4, pad_token_id=0,
        ),
    ),
    # Phi-3 (mini-4k style): fused qkv_proj and gate_up_proj, a sliding window, untied classifier
    "tiny-phi3": (
        "Phi3Config",
        dict(
            hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, vocab_size=320, max_position_embeddings=256, original_max_position_embeddings=256,
            rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False, bos_token_id=1, eos_token_id=2,
            pad_token_id=0, sliding_window=7, initializer_range=0.25,
        ),
    ),
    # Llama 3.2: llama3 RoPE scaling, tied embeddings
    "tiny-llama32": (
        "LlamaConfig",
        dict(
            hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=1, head_dim=16, vocab_size=320, max_position_embeddings=256, rms_norm_eps=1e-5,
            rope_theta=500000.0, tie_word_embeddings=True, bos_token_id=1, eos_token_id=2,
            initializer_range=0.25,
            rope_scaling=dict(rope_type="llama3", factor=32.0, low_freq_factor=1.0, high_freq_factor=4.0,
                              original_max_position_embeddings=64),
        ),
    ),
    # Gemma 2: embedding scale, (1 + w) norms, sandwich norms, GeGLU, attention and final-logit soft-capping
    # (small caps so they bend these random logits), even layers sliding-window, query_pre_attn_scalar != hd
    "tiny-gemma2": (
        "Gemma2Config",
        dict(
            hidden_size=64, intermediate_size=96, num_hidden_layers=4, num_attention_heads=4,
            num_key_value_heads=2, head_dim=32, vocab_size=320, max_position_embeddings=256, rms_norm_eps=1e-6,
            rope_theta=10000.0, bos_token_id=1, eos_token_id=2, pad_token_id=0, sliding_window=5,
            query_pre_attn_scalar=24, attn_logit_softcapping=5.0, final_logit_softcapping=10.0,
            initializer_range=0.25,
        ),
    ),
    # Gemma 3 (text): as Gemma 2 with QK-norm and no soft-capping, every sixth layer global (as released),
    # global layers with their own RoPE base and linear scaling, local layers with rope_local_base_freq;
    # query_pre_attn_scalar = head_dim as in the 1B-12B models (llama.cpp assumes it)
    "tiny-gemma3": (
        "Gemma3TextConfig",
        dict(
            hidden_size=64, intermediate_size=96, num_hidden_layers=6, num_attention_heads=4,
            num_key_value_heads=2, head_dim=32, vocab_size=320, max_position_embeddings=256, rms_norm_eps=1e-6,
            bos_token_id=1, eos_token_id=2, pad_token_id=0, sliding_window=5, sliding_window_pattern=6,
            query_pre_attn_scalar=32, initializer_range=0.25,
            rope_parameters={
                "full_attention": dict(rope_type="linear", factor=8.0, rope_theta=1000000.0),
                "sliding_attention": dict(rope_type="default", rope_theta=10000.0),
            },
        ),
    ),
    # Phi-4-mini: RoPE on 3/4 of each head, long-RoPE factors (short ones within the original length,
    # with the attention factor on cos and sin), tied embeddings
    "tiny-phi4mini": (
        "Phi3Config",
        dict(
            hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, vocab_size=320, max_position_embeddings=256, original_max_position_embeddings=64,
            rms_norm_eps=1e-5, tie_word_embeddings=True, bos_token_id=1, eos_token_id=2, pad_token_id=0,
            initializer_range=0.25, sliding_window=None,
            rope_parameters=dict(
                rope_type="longrope", rope_theta=10000.0, partial_rotary_factor=0.75,
                original_max_position_embeddings=64,
                short_factor=[1.0, 1.2, 1.5, 2.0, 3.0, 5.0], long_factor=[1.0, 2.0, 4.0, 8.0, 16.0, 32.0],
            ),
        ),
    ),
}


def main():
    tokens = [1, 17, 42, 99, 5, 63, 88, 120, 7, 33, 64, 2, 71, 100, 15, 9]
    only = sys.argv[1:]
    for name, (config_class, options) in MODELS.items():
        if only and name not in only:
            continue
        torch.manual_seed(20261201)
        config = getattr(transformers, config_class)(**options)
        # eager attention: the definition (sdpa silently drops Gemma 2's attention soft-capping)
        model = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.float32, attn_implementation="eager")
        with torch.no_grad():
            for parameter_name, parameter in model.named_parameters():
                if "norm" in parameter_name:  # ones by default (Gemma: zeros, used as 1 + w): make each matter
                    base = 0 if name.startswith("tiny-gemma") else 1
                    parameter.copy_(base + 0.2 * torch.randn_like(parameter))
                elif "embed_tokens" in parameter_name and name.startswith("tiny-gemma"):
                    # Gemma scales embeddings by sqrt(hidden): undo half of it at init, or the token's own
                    # embedding dominates the residual stream and the tied classifier repeats the last token
                    parameter.mul_(config.hidden_size**-0.25)
        model.eval()
        folder = os.path.join(ROOT, name)
        os.makedirs(folder, exist_ok=True)
        model.save_pretrained(folder, safe_serialization=True)
        with torch.no_grad():
            logits = model(torch.tensor([tokens])).logits[0]
            greedy = model.generate(
                torch.tensor([tokens[:6]]), max_new_tokens=8, do_sample=False, eos_token_id=None, pad_token_id=0
            )[0, 6:].tolist()
        reference = {
            "description": f"{config_class} random init (seed 20261201), transformers {transformers.__version__}",
            "tokens": tokens,
            "logits": [[round(float(v), 6) for v in row] for row in logits],
            "greedyPrompt": tokens[:6],
            "greedy": greedy,
        }
        with open(os.path.join(folder, "reference.json"), "w") as file:
            json.dump(reference, file)
        print(f"{name}: {sum(p.numel() for p in model.parameters())} parameters, greedy {greedy}")


if __name__ == "__main__":
    main()
