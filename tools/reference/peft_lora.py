"""Writes the LoRA parity fixture from the real PEFT: a LoRA adapter on stories260K (Hugging Face format,
../shared/models/stories260K-hf) over all seven projections, saved by PEFT's save_pretrained, with the
logits, loss and every lora_A/lora_B gradient of one batch, and the losses and final matrices of ten
AdamW steps on it. promptune's test (src/soft/lora-peft.test.ts) loads the adapter and compares each.

With --check <adapter folder> it instead loads an adapter promptune wrote into PEFT and prints the logits
of the fixture's batch as JSON, for the round trip the other way.

Run: python tools/reference/peft_lora.py  (needs torch, transformers, peft and safetensors; the machine's
local package index has them: python3 -m venv v && v/bin/pip install torch transformers peft safetensors)
Outputs test/fixtures/peft-lora/{adapter/, reference.safetensors, reference.json}."""
import os
import sys

import peft
import torch
from safetensors.torch import save_file

from peft_fixture import FIXTURES, base_model, batch, check, save_adapter, train_steps, write_reference

OUT = os.path.join(FIXTURES, "peft-lora")
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def lora_parameters(model):
    return {name: parameter for name, parameter in model.named_parameters() if "lora_" in name}


def saved_name(name):
    """The key save_pretrained writes for a parameter (the adapter's name dropped)."""
    return name.replace(".default", "")


def main():
    torch.manual_seed(0)
    config = peft.LoraConfig(
        task_type=peft.TaskType.CAUSAL_LM, r=4, lora_alpha=8, lora_dropout=0.0, target_modules=TARGETS
    )
    model = peft.get_peft_model(base_model(), config)
    with torch.no_grad():  # PEFT starts B at zero; a random B makes the adapter (and A's gradient) matter
        for name, parameter in lora_parameters(model).items():
            if "lora_B" in name:
                parameter.copy_(torch.randn_like(parameter) * 0.05)
    os.makedirs(OUT, exist_ok=True)
    save_adapter(model, os.path.join(OUT, "adapter"))
    input_ids, mask, labels = batch()
    model.train()
    output = model(input_ids=input_ids, attention_mask=mask, labels=labels)
    output.loss.backward()
    tensors = {"logits": output.logits.detach().contiguous()}
    parameters = {saved_name(name): parameter for name, parameter in lora_parameters(model).items()}
    for name, parameter in parameters.items():
        tensors["grad." + name] = parameter.grad.detach().contiguous()
    losses = train_steps(model, parameters, tensors)
    save_file(tensors, os.path.join(OUT, "reference.safetensors"))
    write_reference(OUT, {"loss": output.loss.item(), "losses": losses})


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
    else:
        main()
