"""Writes the multitask prompt tuning parity fixture from the real PEFT: MULTITASK_PROMPT_TUNING on
stories260K with 4 virtual tokens, 2 tasks and rank 2, the batch's rows belonging to tasks 0, 1, 0. The
logits, loss and the gradients of the shared prompt and of both tasks' factors for one batch, the losses and
final parameters of ten AdamW steps, and the adapter save_pretrained writes. Then the transfer: the target
prompt PEFT starts from that adapter with each source init (AVERAGE_SOURCE_TASKS, EXACT_SOURCE_TASK 1,
ONLY_SOURCE_SHARED). promptune's test (src/soft/multitask-peft.test.ts) compares each. With
--check <adapter folder> it loads an adapter promptune wrote into PEFT instead (every row task 0).

Run: python tools/reference/peft_multitask.py  (needs torch, transformers, peft and safetensors; the
machine's local package index has them: python3 -m venv v && v/bin/pip install torch transformers peft safetensors)
Outputs test/fixtures/peft-multitask/{adapter/, reference.safetensors, reference.json}."""
import os
import sys

import peft
import torch
from safetensors.torch import save_file

from peft_fixture import FIXTURES, ROWS, base_model, batch, check, save_adapter, train_steps, write_reference

OUT = os.path.join(FIXTURES, "peft-multitask")
VIRTUAL_TOKENS = 4
TASKS = 2
RANKS = 2
TASK_IDS = [0, 1, 0]
SOURCE_TASK = 1


def config(**fields):
    return peft.MultitaskPromptTuningConfig(
        task_type=peft.TaskType.CAUSAL_LM, num_virtual_tokens=VIRTUAL_TOKENS, num_ranks=RANKS, **fields
    )


def main():
    torch.manual_seed(0)
    model = peft.get_peft_model(base_model(), config(num_tasks=TASKS))
    encoder = model.prompt_encoder["default"]
    # PEFT starts the factors at std 0.02, which leaves the prompt near zero; larger ones test more
    with torch.no_grad():
        encoder.prefix_task_cols.normal_(0, 0.5)
        encoder.prefix_task_rows.normal_(0, 0.5)
    parameters = dict(encoder.named_parameters())
    tensors = {f"initial.{key}": value.detach().clone().contiguous() for key, value in parameters.items()}
    os.makedirs(OUT, exist_ok=True)
    save_adapter(model, os.path.join(OUT, "adapter"))
    input_ids, mask, labels = batch()
    task_ids = torch.tensor(TASK_IDS)
    model.train()
    output = model(input_ids=input_ids, attention_mask=mask, labels=labels, task_ids=task_ids)
    output.loss.backward()
    tensors["logits"] = output.logits.detach().contiguous()
    for key, value in parameters.items():
        tensors[f"grad.{key}"] = value.grad.detach().contiguous()
    losses = train_steps(model, parameters, tensors, task_ids=task_ids)
    source = os.path.join(OUT, "adapter", "adapter_model.safetensors")
    for init in ("AVERAGE_SOURCE_TASKS", "EXACT_SOURCE_TASK", "ONLY_SOURCE_SHARED"):
        target = peft.get_peft_model(
            base_model(),
            config(
                num_tasks=1,
                prompt_tuning_init=init,
                prompt_tuning_init_state_dict_path=source,
                prompt_tuning_init_task=SOURCE_TASK,
            ),
        )
        for key, value in target.prompt_encoder["default"].named_parameters():
            tensors[f"{init}.{key}"] = value.detach().contiguous()
    save_file(tensors, os.path.join(OUT, "reference.safetensors"))
    write_reference(
        OUT,
        {
            "virtualTokens": VIRTUAL_TOKENS,
            "tasks": TASKS,
            "ranks": RANKS,
            "taskIds": TASK_IDS,
            "sourceTask": SOURCE_TASK,
            "loss": output.loss.item(),
            "losses": losses,
        },
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2], task_ids=torch.zeros(len(ROWS), dtype=torch.long))
    else:
        main()
