"""PyTorch peer of bench:soft's prefix-tuning step: the same frozen Llama from the weights, tokens,
targets and prefix soft-prefix.ts wrote, the prefix given to every layer's attention as past keys and
values (as PEFT's prefix tuning does; the text at positions P..), backward to the prefix in autograd.
Prints {"seconds": [...], "loss": x, "torch": version, "gradient_sample": [...]}."""
import json
import sys

import torch

from torch_llama import TorchLlama, read_safetensors, target_loss, timed


def main(directory):
    model = TorchLlama(directory)
    manifest = model.manifest
    tokens, targets = model.batch()
    prefix = read_safetensors(f"{directory}/prefix.safetensors")["prefix"].clone().requires_grad_(True)

    def step():
        logits = model.forward(model.embed(tokens), prefix=prefix)
        loss = target_loss(logits, targets)
        prefix.grad = None
        loss.backward()
        return loss

    seconds, loss = timed(step, manifest["repeats"])
    P = manifest["prefix"]
    sample = prefix.grad[0, 0, P - 1, :8].tolist() + prefix.grad[0, 1, P - 1, :8].tolist()
    print(json.dumps({"seconds": seconds, "loss": loss.item(), "torch": torch.__version__, "gradient_sample": sample}))


if __name__ == "__main__":
    main(sys.argv[1])
