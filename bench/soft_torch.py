"""PyTorch CPU peer for bench/soft.ts: one soft-prompt training step (forward from embeddings with the
prompt vectors after BOS, target-only cross-entropy, backward to the prompt only; weights frozen) on the
weights, tokens, targets and prompt soft.ts wrote (or, for P-tuning, the MLP encoder that makes it; for
multitask prompt tuning, the shared prompt and task factors making each row's prompt, as PEFT's
MultitaskPromptEmbedding). Prints {"seconds": [...], "loss": x, "torch": version, "gradient_sample": [...]}."""
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
            return (h @ encoder["weight2"].T + encoder["bias2"]).unsqueeze(0).expand(B, N, -1)

        def sample():
            return encoder["rows"].grad[0, :8].tolist() + encoder["weight2"].grad[0, :8].tolist()
    elif "taskIds" in manifest:
        # multitask prompt tuning: row b's prompt is shared * (cols[t] @ rows[t]) for its task t
        parts = {name: tensor.clone().requires_grad_(True) for name, tensor in read_safetensors(f"{directory}/multitask.safetensors").items()}
        parameters = list(parts.values())
        task_ids = torch.tensor(manifest["taskIds"], dtype=torch.long)

        def make_prompt():
            columns = torch.index_select(parts["columns"], 0, task_ids)
            rows = torch.index_select(parts["rows"], 0, task_ids)
            return parts["shared"].unsqueeze(0) * torch.matmul(columns, rows)

        def sample():
            return parts["shared"].grad[0, :8].tolist() + parts["rows"].grad[0, 0, :8].tolist()
    else:
        prompt = read_safetensors(f"{directory}/prompt.safetensors")["prompt"].clone().requires_grad_(True)
        parameters = [prompt]

        def make_prompt():
            return prompt.unsqueeze(0).expand(B, N, -1)

        def sample():
            return prompt.grad[0, :8].tolist() + prompt.grad[-1, :8].tolist()

    def step():
        prompt = make_prompt()
        embedded = model.embed(tokens)
        x = torch.cat([embedded[:, :1], prompt, embedded[:, 1 + N :]], dim=1)
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
