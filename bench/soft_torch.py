"""PyTorch CPU peer for bench/soft.ts: one soft-prompt training step (forward from embeddings with the
prompt vectors after BOS, target-only cross-entropy, backward to the prompt only; weights frozen) on the
weights, tokens, targets and prompt soft.ts wrote (or, for P-tuning, the MLP encoder that makes it). Prints {"seconds": [...], "loss": x, "torch": version,
"gradient_sample": [...]}."""
import json
import sys

import torch

from torch_llama import TorchLlama, read_safetensors, target_loss, timed


def main(directory):
    model = TorchLlama(directory)
    manifest = model.manifest
    B, N = manifest["batch"], manifest["virtualTokens"]
    tokens, targets = model.batch()
    if "encoder" in manifest:
        # P-tuning: the prompt is made by PEFT's MLP encoder (Linear, ReLU, Linear, ReLU, Linear)
        encoder = {name: tensor.clone().requires_grad_(True) for name, tensor in read_safetensors(f"{directory}/encoder.safetensors").items()}
        parameters = list(encoder.values())

        def make_prompt():
            h = torch.relu(encoder["rows"] @ encoder["weight0"].T + encoder["bias0"])
            h = torch.relu(h @ encoder["weight1"].T + encoder["bias1"])
            return h @ encoder["weight2"].T + encoder["bias2"]

        def sample():
            return encoder["rows"].grad[0, :8].tolist() + encoder["weight2"].grad[0, :8].tolist()
    else:
        prompt = read_safetensors(f"{directory}/prompt.safetensors")["prompt"].clone().requires_grad_(True)
        parameters = [prompt]

        def make_prompt():
            return prompt

        def sample():
            return prompt.grad[0, :8].tolist() + prompt.grad[-1, :8].tolist()

    def step():
        prompt = make_prompt()
        embedded = model.embed(tokens)
        x = torch.cat([embedded[:, :1], prompt.unsqueeze(0).expand(B, N, -1), embedded[:, 1 + N :]], dim=1)
        logits = model.forward(x)
        loss = target_loss(logits, targets)
        for parameter in parameters:
            parameter.grad = None
        loss.backward()
        return loss

    seconds, loss = timed(step, manifest["repeats"])
    print(json.dumps({"seconds": seconds, "loss": loss.item(), "torch": torch.__version__, "gradient_sample": sample()}))


if __name__ == "__main__":
    main(sys.argv[1])
