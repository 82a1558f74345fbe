"""Writes the fused-projection LoRA fixture from the real PEFT: a LoRA adapter on the tiny Phi-3
(test/fixtures/tiny-phi3, whose transformers model fuses q, k and v into qkv_proj and gate and up into
gate_up_proj) over every linear module, with some modules given their own rank and alpha (rank_pattern,
alpha_pattern), saved by PEFT's save_pretrained, and the logits of one batch. promptune's test
(src/soft/lora-fused.test.ts) loads the adapter and compares its logits.

With --check <adapter folder> it instead loads an adapter promptune wrote for the tiny Phi-3 into PEFT
and prints the batch's logits as JSON.

Run: python tools/reference/peft_lora_fused.py  (needs torch, transformers, peft and safetensors; the
machine's local package index has them: python3 -m venv v && v/bin/pip install torch transformers peft
safetensors). Outputs test/fixtures/peft-lora-fused/{adapter/, reference.safetensors, reference.json}."""
import json
import os
import sys

import peft
import torch
import transformers
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(HERE, "..", "..", "test", "fixtures", "tiny-phi3")
OUT = os.path.join(HERE, "..", "..", "test", "fixtures", "peft-lora-fused")
# the tiny Phi-3's vocabulary has 320 tokens
ROWS = [[1, 45, 300, 12, 87, 40, 9], [1, 210, 33, 71, 5], [1, 97, 150, 260, 18, 44]]


def base_model():
    return transformers.AutoModelForCausalLM.from_pretrained(MODEL, dtype=torch.float32)


def batch():
    time = max(len(row) for row in ROWS)
    input_ids = torch.zeros(len(ROWS), time, dtype=torch.long)
    mask = torch.zeros(len(ROWS), time, dtype=torch.long)
    for b, row in enumerate(ROWS):
        input_ids[b, : len(row)] = torch.tensor(row)
        mask[b, : len(row)] = 1
    return input_ids, mask


def logits_of(model):
    input_ids, mask = batch()
    with torch.no_grad():
        return model(input_ids=input_ids, attention_mask=mask).logits


def main():
    torch.manual_seed(0)
    config = peft.LoraConfig(
        task_type=peft.TaskType.CAUSAL_LM,
        r=4,
        lora_alpha=8,
        lora_dropout=0.0,
        target_modules=["qkv_proj", "o_proj", "gate_up_proj", "down_proj"],
        rank_pattern={"o_proj": 2, "gate_up_proj": 6},
        alpha_pattern={"down_proj": 3},
    )
    model = peft.get_peft_model(base_model(), config)
    with torch.no_grad():  # PEFT starts B at zero; a random B makes the adapter matter
        for name, parameter in model.named_parameters():
            if "lora_B" in name:
                parameter.copy_(torch.randn_like(parameter) * 0.2)
    folder = os.path.join(OUT, "adapter")
    model.save_pretrained(folder)
    os.remove(os.path.join(folder, "README.md"))
    with open(os.path.join(folder, "adapter_config.json")) as file:
        saved = json.load(file)
    saved["base_model_name_or_path"] = "tiny-phi3"  # named, not located on this machine
    with open(os.path.join(folder, "adapter_config.json"), "w") as file:
        json.dump(saved, file, indent=2, sort_keys=True)
        file.write("\n")
    save_file({"logits": logits_of(model).contiguous()}, os.path.join(OUT, "reference.safetensors"))
    with open(os.path.join(OUT, "reference.json"), "w") as file:
        versions = {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__}
        json.dump({"rows": ROWS, "versions": versions}, file, indent=1)
        file.write("\n")


def check(folder):
    model = peft.PeftModel.from_pretrained(base_model(), folder)
    print(json.dumps({"logits": logits_of(model).flatten().tolist(), "peft": peft.__version__}))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
    else:
        main()
