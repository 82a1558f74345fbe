"""What the PEFT parity fixtures share (peft_lora.py, peft_prefix.py, peft_p_tuning.py, peft_multitask.py): the base model
(stories260K in Hugging Face format, from ../shared), the batch of three right-padded rows whose last two
real tokens are the targets, saving an adapter as PEFT does (without its model card, without this
machine's path), and --check, which loads an adapter promptune wrote into PEFT and prints the batch's
logits as JSON."""
import json
import os

import peft
import torch
import transformers

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(HERE, "..", "..", "..", "shared", "models", "stories260K-hf")
FIXTURES = os.path.join(HERE, "..", "..", "test", "fixtures")
ROWS = [[1, 45, 300, 12, 87, 402, 9], [1, 210, 33, 71, 5], [1, 97, 150, 260, 18, 44]]
TARGET_TOKENS = 2
STEPS = 10
LEARNING_RATE = 1e-2


def batch(rows=ROWS):
    """input_ids, attention mask and labels (-100 except the targets) of the three rows (or `rows`)."""
    time = max(len(row) for row in rows)
    input_ids = torch.zeros(len(rows), time, dtype=torch.long)
    mask = torch.zeros(len(rows), time, dtype=torch.long)
    labels = torch.full((len(rows), time), -100, dtype=torch.long)
    for b, row in enumerate(rows):
        input_ids[b, : len(row)] = torch.tensor(row)
        mask[b, : len(row)] = 1
        labels[b, len(row) - TARGET_TOKENS : len(row)] = torch.tensor(row[-TARGET_TOKENS:])
    return input_ids, mask, labels


def base_model():
    return transformers.AutoModelForCausalLM.from_pretrained(MODEL, dtype=torch.float32)


def save_adapter(model, folder):
    """save_pretrained, without PEFT's model card template and with the base model named, not located."""
    model.save_pretrained(folder)
    os.remove(os.path.join(folder, "README.md"))
    with open(os.path.join(folder, "adapter_config.json")) as file:
        saved = json.load(file)
    saved["base_model_name_or_path"] = "stories260K-hf"
    with open(os.path.join(folder, "adapter_config.json"), "w") as file:
        json.dump(saved, file, indent=2, sort_keys=True)
        file.write("\n")


def check(folder, **inputs):
    """Prints the logits PEFT gives the batch with the adapter in `folder` (`inputs`: more forward arguments)."""
    model = peft.PeftModel.from_pretrained(base_model(), folder)
    input_ids, mask, _ = batch()
    with torch.no_grad():
        logits = model(input_ids=input_ids, attention_mask=mask, **inputs).logits
    print(json.dumps({"logits": logits.flatten().tolist(), "peft": peft.__version__}))


def train_steps(model, parameters, tensors, prefix="", **inputs):
    """Ten AdamW steps on the batch (`inputs`: more forward arguments): their losses, and each parameter after
    them in tensors."""
    input_ids, mask, labels = batch()
    optimizer = torch.optim.AdamW(list(parameters.values()), lr=LEARNING_RATE, weight_decay=0.0, eps=1e-8)
    losses = []
    for _ in range(STEPS):
        loss = model(input_ids=input_ids, attention_mask=mask, labels=labels, **inputs).loss
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    for key, value in parameters.items():
        tensors[f"{prefix}trained.{key}"] = value.detach().contiguous()
    return losses


def write_reference(out, fields):
    """reference.json: the rows and settings every fixture records, and `fields`."""
    with open(os.path.join(out, "reference.json"), "w") as file:
        json.dump(
            {
                "rows": ROWS,
                "targetTokens": TARGET_TOKENS,
                "steps": STEPS,
                "learningRate": LEARNING_RATE,
                **fields,
                "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__},
            },
            file,
            indent=1,
        )
        file.write("\n")
