"""PyTorch CPU peer for bench/engine.ts: the same forward (torch_llama.py) on the weights and tokens
engine.ts wrote, timed the same way. Prints one JSON line: {"seconds": [...], "torch": version,
"logits_sample": [...]}. Run with /usr/bin/python3 (Debian's python3-torch) and OMP_WAIT_POLICY=PASSIVE."""
import json
import sys

import torch

from torch_llama import TorchLlama, timed


def main(directory):
    model = TorchLlama(directory)
    manifest = model.manifest
    tokens = torch.tensor(manifest["tokens"], dtype=torch.long).reshape(manifest["batch"], manifest["time"])
    with torch.inference_mode():
        seconds, logits = timed(lambda: model.forward(model.embed(tokens)), manifest["repeats"])
    sample = logits[0, -1, :16].tolist() + logits[-1, 5, :16].tolist()
    print(json.dumps({"seconds": seconds, "torch": torch.__version__, "logits_sample": sample}))


if __name__ == "__main__":
    main(sys.argv[1])
