"""The PEFT side of bench/soft-tiny.ts: one prompt-tuning step (forward, loss, backward, AdamW step) on
stories260K through transformers + PEFT (PromptTuningConfig), on the batch bench/soft-tiny.ts wrote
(manifest.json: input ids, labels, attention mask, virtual tokens, threads, repeats). Prints one JSON
line: the step times, the loss, the versions. Needs torch, transformers and peft (the machine's local
package index has them; point BENCH_PEFT_PYTHON at that Python)."""
import json
import sys
import time

import torch
import transformers
import peft

directory = sys.argv[1]
with open(f"{directory}/manifest.json") as file:
    manifest = json.load(file)
torch.set_num_threads(manifest["threads"])
model = transformers.AutoModelForCausalLM.from_pretrained(manifest["model"], dtype=torch.float32)
config = peft.PromptTuningConfig(
    task_type=peft.TaskType.CAUSAL_LM,
    num_virtual_tokens=manifest["virtualTokens"],
    prompt_tuning_init=peft.PromptTuningInit.RANDOM,
)
model = peft.get_peft_model(model, config)
with torch.no_grad():  # the prompt bench/soft-tiny.ts started from
    model.prompt_encoder["default"].embedding.weight.copy_(
        torch.tensor(manifest["initial"]).view(manifest["virtualTokens"], -1)
    )
model.train()
input_ids = torch.tensor(manifest["inputIds"])
labels = torch.tensor(manifest["labels"])
attention_mask = torch.tensor(manifest["attentionMask"])
optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=0.3, weight_decay=0.0)


def step():
    optimizer.zero_grad()
    loss = model(input_ids=input_ids, attention_mask=attention_mask, labels=labels).loss
    loss.backward()
    optimizer.step()
    return float(loss)


for _ in range(3):
    step()
seconds = []
loss = 0.0
for _ in range(manifest["repeats"]):
    start = time.perf_counter()
    loss = step()
    seconds.append(time.perf_counter() - start)
print(json.dumps({"seconds": seconds, "loss": loss, "torch": torch.__version__, "peft": peft.__version__}))
