"""PyTorch CPU peer for bench/soft-full.ts: one full fine-tuning step (forward from the token embeddings,
target-only cross-entropy, backward to every weight: matrices, norms and the tied embedding) on the
weights, tokens and targets soft-full.ts wrote. Prints {"seconds": [...], "loss": x, "torch": version,
"gradient_sample": [...], "optimizer_seconds": [...]}: the gradient's first 8 values of the embedding and of
layer 0's query, and the times of torch.optim.AdamW's step over every weight (its foreach implementation,
weight decay 0.01, the step's gradients)."""
import json
import sys

import torch

from torch_llama import TorchLlama, target_loss, timed


def main(directory):
    model = TorchLlama(directory)
    tokens, targets = model.batch()
    parameters = [tensor.requires_grad_(True) for tensor in model.weights.values()]

    def step():
        logits = model.forward(model.embed(tokens))
        loss = target_loss(logits, targets)
        for parameter in parameters:
            parameter.grad = None
        loss.backward()
        return loss

    seconds, loss = timed(step, model.manifest["repeats"])
    weights = model.weights
    sample = weights["embedding"].grad.flatten()[:8].tolist() + weights["layers.0.query"].grad.flatten()[:8].tolist()
    optimizer = torch.optim.AdamW(parameters, lr=3e-4, weight_decay=0.01, foreach=True)
    with torch.no_grad():
        optimizer_seconds, _ = timed(optimizer.step, model.manifest["repeats"])
    print(
        json.dumps(
            {
                "seconds": seconds,
                "loss": loss.item(),
                "torch": torch.__version__,
                "gradient_sample": sample,
                "optimizer_seconds": optimizer_seconds,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
