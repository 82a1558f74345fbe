"""Writes the full fine-tuning parity fixture from transformers: every parameter of five models trained at
once (stories260K in Hugging Face format from ../shared, and the tiny Qwen2, Qwen3, Gemma 2 and Gemma 3
checkpoints in test/fixtures, which add Q/K/V biases, an untied classifier, QK-norm, sandwich norms,
soft-capping, embedding scaling, QK-norm with Gemma's norm offset and sliding-window layers). For each model: the loss of one batch and every parameter's gradient, then ten AdamW
steps (lr 1e-3, weight decay 0.01 except on norms and biases, as transformers' Trainer groups them)
over all parameters: their losses and every parameter after them.

A tensor is kept as its L2 norm and 48 of its values at evenly spaced flat indices (rows across the whole
tensor), so the fixture stays small; promptune's test (src/soft/full-training-parity.test.ts) compares the
same indices.

With --check <model folder> it instead loads a Hugging Face directory promptune wrote into transformers and
prints the logits of stories260K's batch as JSON.

Run: python tools/reference/full_fine_tuning.py  (needs torch, transformers and safetensors; the machine's
local package index has them: python3 -m venv v && v/bin/pip install torch transformers safetensors)
Outputs test/fixtures/full-fine-tuning/{reference.safetensors, reference.json}."""
import json
import os
import sys

import torch
import transformers
from safetensors.torch import save_file

from peft_fixture import FIXTURES, MODEL, ROWS, TARGET_TOKENS, batch

OUT = os.path.join(FIXTURES, "full-fine-tuning")
MODELS = {
    "stories260K": MODEL,
    "tiny-qwen2": os.path.join(FIXTURES, "tiny-qwen2"),
    "tiny-qwen3": os.path.join(FIXTURES, "tiny-qwen3"),
    "tiny-gemma2": os.path.join(FIXTURES, "tiny-gemma2"),
    "tiny-gemma3": os.path.join(FIXTURES, "tiny-gemma3"),
}
SAMPLES = 48
STEPS = 10
LEARNING_RATE = 1e-3
WEIGHT_DECAY = 0.01


def folded_batch(vocabulary):
    """The shared rows with their ids folded into the model's vocabulary, and their batch."""
    rows = [[token % vocabulary for token in row] for row in ROWS]
    return (rows, *batch(rows))


def sample(tensor):
    """The tensor's L2 norm and SAMPLES values at evenly spaced flat indices."""
    flat = tensor.detach().flatten().double()
    count = flat.numel()
    indices = torch.tensor([(i * (count - 1)) // (SAMPLES - 1) for i in range(SAMPLES)])
    return flat.norm().reshape(1).float(), flat[indices].float()


def main():
    os.makedirs(OUT, exist_ok=True)
    tensors = {}
    fields = {}
    for name, path in MODELS.items():
        torch.manual_seed(0)
        model = transformers.AutoModelForCausalLM.from_pretrained(
            path, dtype=torch.float32, attn_implementation="eager"
        )
        model.eval()  # no dropout; gradients still flow
        rows, input_ids, mask, labels = folded_batch(model.config.vocab_size)
        parameters = dict(model.named_parameters())
        loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        for key, value in parameters.items():
            norm, values = sample(value.grad)
            tensors[f"{name}.grad.{key}"] = values.contiguous()
            tensors[f"{name}.gradnorm.{key}"] = norm.contiguous()
        # as transformers' Trainer groups them: no weight decay on norms and biases
        plain = [value for key, value in parameters.items() if "norm" in key or key.endswith(".bias")]
        decayed = [value for key, value in parameters.items() if not ("norm" in key or key.endswith(".bias"))]
        optimizer = torch.optim.AdamW(
            [{"params": decayed, "weight_decay": WEIGHT_DECAY}, {"params": plain, "weight_decay": 0.0}],
            lr=LEARNING_RATE,
            eps=1e-8,
        )
        optimizer.zero_grad()
        losses = []
        for _ in range(STEPS):
            step_loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
            losses.append(step_loss.item())
            optimizer.zero_grad()
            step_loss.backward()
            optimizer.step()
        for key, value in parameters.items():
            norm, values = sample(value)
            tensors[f"{name}.trained.{key}"] = values.contiguous()
            tensors[f"{name}.trainednorm.{key}"] = norm.contiguous()
        fields[name] = {"rows": rows, "loss": loss.item(), "losses": losses, "parameters": list(parameters)}
    save_file(tensors, os.path.join(OUT, "reference.safetensors"))
    with open(os.path.join(OUT, "reference.json"), "w") as file:
        json.dump(
            {
                "targetTokens": TARGET_TOKENS,
                "samples": SAMPLES,
                "steps": STEPS,
                "learningRate": LEARNING_RATE,
                "weightDecay": WEIGHT_DECAY,
                "models": fields,
                "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
            },
            file,
            indent=1,
        )
        file.write("\n")


def check(folder):
    """Prints the logits transformers gives the batch with the model in `folder`."""
    model = transformers.AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    _, input_ids, mask, _ = folded_batch(model.config.vocab_size)
    with torch.no_grad():
        logits = model(input_ids=input_ids, attention_mask=mask).logits
    print(json.dumps({"logits": logits.flatten().tolist(), "transformers": transformers.__version__}))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
    else:
        main()
