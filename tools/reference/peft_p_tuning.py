"""Writes the P-tuning parity fixture from the real PEFT: P-tuning on stories260K (Hugging Face format,
../shared/models/stories260K-hf) with 4 virtual tokens made by PEFT's MLP prompt encoder (three linear
layers with ReLU between). The logits, loss and every gradient of the encoder for one batch, the losses
and final parameters of ten AdamW steps, and the adapter save_pretrained writes (the encoder's output).
promptune's test (src/soft/p-tuning-peft.test.ts) compares each.

With --check <adapter folder> it instead loads an adapter promptune wrote into PEFT and prints the logits
of the fixture's batch as JSON, for the round trip the other way.

Run: python tools/reference/peft_p_tuning.py  (needs torch, transformers, peft and safetensors; the
machine's local package index has them: python3 -m venv v && v/bin/pip install torch transformers peft safetensors)
Outputs test/fixtures/peft-p-tuning/{adapter/, reference.safetensors, reference.json}."""
import json
import os
import sys

import peft
import torch
import transformers
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(HERE, "..", "..", "..", "shared", "models", "stories260K-hf")
OUT = os.path.join(HERE, "..", "..", "test", "fixtures", "peft-p-tuning")
# three right-padded rows; the last two real tokens of each are the targets
ROWS = [[1, 45, 300, 12, 87, 402, 9], [1, 210, 33, 71, 5], [1, 97, 150, 260, 18, 44]]
TARGET_TOKENS = 2
VIRTUAL_TOKENS = 4
ENCODER_HIDDEN = 24
STEPS = 10
LEARNING_RATE = 1e-2


def batch():
    time = max(len(row) for row in ROWS)
    input_ids = torch.zeros(len(ROWS), time, dtype=torch.long)
    mask = torch.zeros(len(ROWS), time, dtype=torch.long)
    labels = torch.full((len(ROWS), time), -100, dtype=torch.long)
    for b, row in enumerate(ROWS):
        input_ids[b, : len(row)] = torch.tensor(row)
        mask[b, : len(row)] = 1
        labels[b, len(row) - TARGET_TOKENS : len(row)] = torch.tensor(row[-TARGET_TOKENS:])
    return input_ids, mask, labels


def base_model():
    return transformers.AutoModelForCausalLM.from_pretrained(MODEL, dtype=torch.float32)


def check(folder):
    model = peft.PeftModel.from_pretrained(base_model(), folder)
    input_ids, mask, _ = batch()
    with torch.no_grad():
        logits = model(input_ids=input_ids, attention_mask=mask).logits
    print(json.dumps({"logits": logits.flatten().tolist(), "peft": peft.__version__}))


def main():
    torch.manual_seed(0)
    config = peft.PromptEncoderConfig(
        task_type=peft.TaskType.CAUSAL_LM,
        num_virtual_tokens=VIRTUAL_TOKENS,
        encoder_reparameterization_type="MLP",
        encoder_hidden_size=ENCODER_HIDDEN,
    )
    model = peft.get_peft_model(base_model(), config)
    encoder = model.prompt_encoder["default"]
    parameters = dict(encoder.named_parameters())
    tensors = {f"initial.{key}": value.detach().clone().contiguous() for key, value in parameters.items()}
    os.makedirs(OUT, exist_ok=True)
    folder = os.path.join(OUT, "adapter")
    model.save_pretrained(folder)
    os.remove(os.path.join(folder, "README.md"))  # PEFT's model card template, nothing the test reads
    with open(os.path.join(folder, "adapter_config.json")) as file:
        saved = json.load(file)
    saved["base_model_name_or_path"] = "stories260K-hf"  # not this machine's path
    with open(os.path.join(folder, "adapter_config.json"), "w") as file:
        json.dump(saved, file, indent=2, sort_keys=True)
        file.write("\n")
    input_ids, mask, labels = batch()
    model.train()
    output = model(input_ids=input_ids, attention_mask=mask, labels=labels)
    output.loss.backward()
    tensors["logits"] = output.logits.detach().contiguous()
    for key, value in parameters.items():
        tensors[f"grad.{key}"] = value.grad.detach().contiguous()
    optimizer = torch.optim.AdamW(list(parameters.values()), lr=LEARNING_RATE, weight_decay=0.0, eps=1e-8)
    losses = []
    for _ in range(STEPS):
        loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    for key, value in parameters.items():
        tensors[f"trained.{key}"] = value.detach().contiguous()
    save_file(tensors, os.path.join(OUT, "reference.safetensors"))
    with open(os.path.join(OUT, "reference.json"), "w") as file:
        json.dump(
            {
                "rows": ROWS,
                "targetTokens": TARGET_TOKENS,
                "virtualTokens": VIRTUAL_TOKENS,
                "encoderHidden": ENCODER_HIDDEN,
                "loss": output.loss.item(),
                "steps": STEPS,
                "learningRate": LEARNING_RATE,
                "losses": losses,
                "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__},
            },
            file,
            indent=1,
        )
        file.write("\n")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
    else:
        main()
