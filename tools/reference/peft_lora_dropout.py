"""Writes the LoRA dropout parity fixture from the real PEFT: the adapter of test/fixtures/peft-lora loaded
into PEFT with lora_dropout 0.3, each LoRA layer's dropout module drawing promptune's mask instead of
torch's random one (promptune draws position i of layer l's projection j at step s from a 32-bit hash of
the run's seed, s, l, j and i: src/engine/dropout.ts; the same hash is written here with numpy), so the
two compute the same function. Records the loss and every lora_A/lora_B gradient of step 1 and the losses
and final matrices of ten AdamW steps (step s drawing its own masks). src/soft/lora-dropout.test.ts
compares them.

Run: python tools/reference/peft_lora_dropout.py  (torch, transformers, peft, safetensors, numpy)
Outputs test/fixtures/peft-lora-dropout/{reference.safetensors, reference.json}."""
import os

import numpy as np
import peft
import torch
from safetensors.torch import save_file

from peft_fixture import FIXTURES, base_model, batch, train_steps, write_reference

OUT = os.path.join(FIXTURES, "peft-lora-dropout")
ADAPTER = os.path.join(FIXTURES, "peft-lora", "adapter")
PROBABILITY = 0.3
SEED = 0
# promptune's projection order (src/engine/low-rank.ts PROJECTIONS)
PROJECTIONS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
MASK32 = 0xFFFFFFFF


def hash32(value):
    """lowbias32 over uint64 numpy values taken modulo 2^32."""
    x = np.asarray(value, dtype=np.uint64) & MASK32
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x7FEB352D)) & MASK32
    x ^= x >> np.uint64(15)
    x = (x * np.uint64(0x846CA68B)) & MASK32
    x ^= x >> np.uint64(16)
    return x


def dropout_key(*parts):
    key = 0x9E3779B9
    for part in parts:
        key = int(hash32((key ^ int(hash32(part))) + 0x7F4A7C15))
    return key


class StepMask(torch.nn.Module):
    """Inverted dropout with promptune's mask for one layer's projection at the current step."""

    step = 1

    def __init__(self, layer, projection):
        super().__init__()
        self.layer = layer
        self.projection = projection

    def forward(self, x):
        key = dropout_key(dropout_key(SEED, StepMask.step), self.layer, self.projection)
        positions = np.arange(x.numel(), dtype=np.uint64)
        kept = hash32(key + positions) >= PROBABILITY * 2**32
        mask = torch.from_numpy(kept.reshape(x.shape)).to(x.dtype)
        return x * mask * (1 / (1 - PROBABILITY))


def main():
    config = peft.LoraConfig.from_pretrained(ADAPTER)
    config.lora_dropout = PROBABILITY
    config.inference_mode = False
    model = peft.PeftModel.from_pretrained(base_model(), ADAPTER, config=config, is_trainable=True)
    replaced = 0
    for name, module in model.named_modules():
        if isinstance(module, peft.tuners.lora.LoraLayer):
            assert isinstance(module.lora_dropout["default"], torch.nn.Dropout)
            layer = int(name.split(".layers.")[1].split(".")[0])
            module.lora_dropout["default"] = StepMask(layer, PROJECTIONS.index(name.split(".")[-1]))
            replaced += 1
    assert replaced == 5 * 7, replaced
    parameters = {
        name.replace(".default", ""): parameter for name, parameter in model.named_parameters() if "lora_" in name
    }
    input_ids, mask, labels = batch()
    model.train()
    output = model(input_ids=input_ids, attention_mask=mask, labels=labels)
    output.loss.backward()
    tensors = {"grad." + name: parameter.grad.detach().clone().contiguous() for name, parameter in parameters.items()}
    for parameter in parameters.values():
        parameter.grad = None

    # ten AdamW steps, step s with its own masks (train_steps runs the forward once per step)
    original = model.forward

    def stepping(*args, **kwargs):
        result = original(*args, **kwargs)
        StepMask.step += 1
        return result

    StepMask.step = 1
    model.forward = stepping
    losses = train_steps(model, parameters, tensors)
    os.makedirs(OUT, exist_ok=True)
    save_file(tensors, os.path.join(OUT, "reference.safetensors"))
    write_reference(OUT, {"loss": output.loss.item(), "losses": losses, "probability": PROBABILITY, "seed": SEED})


if __name__ == "__main__":
    main()
