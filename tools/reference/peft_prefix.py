"""Writes the prefix-tuning parity fixture from the real PEFT: prefix tuning on stories260K with 4 virtual
tokens, twice: plain (a key/value prefix per layer learned directly, saved by PEFT's save_pretrained) and
reparameterized (PEFT's prefix_projection: an embedding through a tanh MLP). For each, the logits, loss
and gradients of one batch, and the losses and final parameters of ten AdamW steps. promptune's test
(src/soft/prefix-peft.test.ts) compares each. With --check <adapter folder> it loads an adapter promptune
wrote into PEFT instead.

Run: python tools/reference/peft_prefix.py  (needs torch, transformers, peft and safetensors; the machine's
local package index has them: python3 -m venv v && v/bin/pip install torch transformers peft safetensors)
Outputs test/fixtures/peft-prefix/{adapter/, reference.safetensors, reference.json}."""
import os
import sys

import peft
import torch
from safetensors.torch import save_file

from peft_fixture import FIXTURES, base_model, batch, check, save_adapter, train_steps, write_reference

OUT = os.path.join(FIXTURES, "peft-prefix")
VIRTUAL_TOKENS = 4
ENCODER_HIDDEN = 24


def run(tensors, name, projection):
    """Trains one configuration; returns its loss and ten losses, adding its tensors under `name.`."""
    torch.manual_seed(0)
    config = peft.PrefixTuningConfig(
        task_type=peft.TaskType.CAUSAL_LM,
        num_virtual_tokens=VIRTUAL_TOKENS,
        prefix_projection=projection,
        encoder_hidden_size=ENCODER_HIDDEN,
    )
    model = peft.get_peft_model(base_model(), config)
    parameters = dict(model.prompt_encoder["default"].named_parameters())
    for key, value in parameters.items():
        tensors[f"{name}.initial.{key}"] = value.detach().clone().contiguous()
    if not projection:
        save_adapter(model, os.path.join(OUT, "adapter"))
    input_ids, mask, labels = batch()
    model.train()
    output = model(input_ids=input_ids, attention_mask=mask, labels=labels)
    output.loss.backward()
    tensors[f"{name}.logits"] = output.logits.detach().contiguous()
    for key, value in parameters.items():
        tensors[f"{name}.grad.{key}"] = value.grad.detach().contiguous()
    losses = train_steps(model, parameters, tensors, f"{name}.")
    return {"loss": output.loss.item(), "losses": losses}


def main():
    os.makedirs(OUT, exist_ok=True)
    tensors = {}
    plain = run(tensors, "plain", False)
    projected = run(tensors, "projected", True)
    save_file(tensors, os.path.join(OUT, "reference.safetensors"))
    write_reference(
        OUT,
        {"virtualTokens": VIRTUAL_TOKENS, "encoderHidden": ENCODER_HIDDEN, "plain": plain, "projected": projected},
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
    else:
        main()
