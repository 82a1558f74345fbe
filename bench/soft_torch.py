"""PyTorch CPU peer for bench/soft.ts: one soft-prompt training step (forward from embeddings with the
prompt vectors after BOS, target-only cross-entropy, backward to the prompt only; weights frozen) on the
weights, tokens, targets and prompt soft.ts wrote. Prints {"seconds": [...], "loss": x, "torch": version,
"gradient_sample": [...]}."""
import json
import sys

import torch

from torch_llama import TorchLlama, read_safetensors, timed


def main(directory):
    model = TorchLlama(directory)
    manifest = model.manifest
    B, T, N = manifest["batch"], manifest["time"], manifest["virtualTokens"]
    tokens = torch.tensor(manifest["tokens"], dtype=torch.long).reshape(B, T)
    targets = torch.tensor(manifest["targets"], dtype=torch.long).reshape(B, T)
    prompt = read_safetensors(f"{directory}/prompt.safetensors")["prompt"].clone().requires_grad_(True)

    def step():
        embedded = model.embed(tokens)
        x = torch.cat([embedded[:, :1], prompt.unsqueeze(0).expand(B, N, -1), embedded[:, 1 + N :]], dim=1)
        logits = model.forward(x)
        loss = torch.nn.functional.cross_entropy(logits.reshape(B * T, -1), targets.reshape(-1), ignore_index=-1)
        prompt.grad = None
        loss.backward()
        return loss

    seconds, loss = timed(step, manifest["repeats"])
    print(json.dumps({"seconds": seconds, "loss": loss.item(), "torch": torch.__version__, "gradient_sample": prompt.grad[0, :8].tolist() + prompt.grad[-1, :8].tolist()}))


if __name__ == "__main__":
    main(sys.argv[1])
