"""PyTorch CPU peer for bench/soft.ts's LoRA line: one LoRA training step (forward from the token
embeddings with lora_A/lora_B on every projection, target-only cross-entropy, backward to the LoRA
matrices only; weights frozen, as PEFT's LoRA does it in autograd) on the weights, tokens, targets and
adapter soft.ts wrote; with "dropout" in the manifest, PEFT's lora_dropout on each product's input (torch's
own masks). Prints {"seconds": [...], "loss": x, "torch": version, "gradient_sample": [...]}."""
import json
import sys

import torch

from torch_llama import TorchLlama, read_safetensors, target_loss, timed


def main(directory):
    model = TorchLlama(directory)
    manifest = model.manifest
    tokens, targets = model.batch()
    tensors = read_safetensors(f"{directory}/lora.safetensors")
    lora = {}
    for name, tensor in tensors.items():
        key, half = name.rsplit(".", 1)
        lora.setdefault(key, [None, None])[0 if half == "a" else 1] = tensor.clone().requires_grad_(True)
    parameters = [tensor for pair in lora.values() for tensor in pair]

    def step():
        logits = model.forward(model.embed(tokens), lora, manifest["scale"], dropout=manifest.get("dropout", 0.0))
        loss = target_loss(logits, targets)
        for parameter in parameters:
            parameter.grad = None
        loss.backward()
        return loss

    seconds, loss = timed(step, manifest["repeats"])
    first = lora["layers.0.query"]
    sample = first[0].grad.flatten()[:8].tolist() + first[1].grad.flatten()[:8].tolist()
    print(json.dumps({"seconds": seconds, "loss": loss.item(), "torch": torch.__version__, "gradient_sample": sample}))


if __name__ == "__main__":
    main(sys.argv[1])
