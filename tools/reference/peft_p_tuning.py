"""Writes the P-tuning parity fixtures from the real PEFT: P-tuning on stories260K with 4 virtual tokens
made by PEFT's MLP prompt encoder (three linear layers with ReLU between), and made by its LSTM encoder
(a two-layer bidirectional LSTM, then two linear layers with ReLU between). The logits, loss and every
gradient of the encoder for one batch, the losses and final parameters of ten AdamW steps, and the
adapter save_pretrained writes (the encoder's output). promptune's test (src/soft/p-tuning-peft.test.ts)
compares each. With --check <adapter folder> it loads an adapter promptune wrote into PEFT instead.

Run: python tools/reference/peft_p_tuning.py  (needs torch, transformers, peft and safetensors; the
machine's local package index has them: python3 -m venv v && v/bin/pip install torch transformers peft safetensors)
Outputs test/fixtures/peft-p-tuning{,-lstm}/{adapter/, reference.safetensors, reference.json}."""
import os
import sys

import peft
import torch
from safetensors.torch import save_file

from peft_fixture import FIXTURES, base_model, batch, check, save_adapter, train_steps, write_reference

VIRTUAL_TOKENS = 4
ENCODER_HIDDEN = 24


def main(encoder, folder):
    torch.manual_seed(0)
    config = peft.PromptEncoderConfig(
        task_type=peft.TaskType.CAUSAL_LM,
        num_virtual_tokens=VIRTUAL_TOKENS,
        encoder_reparameterization_type=encoder,
        encoder_hidden_size=ENCODER_HIDDEN,
    )
    out = os.path.join(FIXTURES, folder)
    model = peft.get_peft_model(base_model(), config)
    parameters = dict(model.prompt_encoder["default"].named_parameters())
    tensors = {f"initial.{key}": value.detach().clone().contiguous() for key, value in parameters.items()}
    os.makedirs(out, exist_ok=True)
    save_adapter(model, os.path.join(out, "adapter"))
    input_ids, mask, labels = batch()
    model.train()
    output = model(input_ids=input_ids, attention_mask=mask, labels=labels)
    output.loss.backward()
    tensors["logits"] = output.logits.detach().contiguous()
    for key, value in parameters.items():
        tensors[f"grad.{key}"] = value.grad.detach().contiguous()
    losses = train_steps(model, parameters, tensors)
    save_file(tensors, os.path.join(out, "reference.safetensors"))
    write_reference(
        out,
        {
            "virtualTokens": VIRTUAL_TOKENS,
            "encoderHidden": ENCODER_HIDDEN,
            **({"encoder": "LSTM", "encoderLayers": config.encoder_num_layers} if encoder == "LSTM" else {}),
            "loss": output.loss.item(),
            "losses": losses,
        },
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
    else:
        main("MLP", "peft-p-tuning")
        main("LSTM", "peft-p-tuning-lstm")
