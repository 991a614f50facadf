"""Run a stage script under accelerate's FSDP on CPU processes (gloo), for tests/test_scaleout.py.

    ACCELERATE_USE_CPU=1 accelerate launch --config_file configs/accelerate/fsdp-xlmr-large.yaml \
        --num_processes 2 --fsdp_transformer_layer_cls_to_wrap BertLayer tests/fsdp_cpu.py stages/target.py ...

accelerate enables FSDP only on accelerators: with ACCELERATE_USE_CPU=1 an FSDP config silently
runs as plain DDP on gloo (`DistributedType.MULTI_CPU`), and without it, as N unconnected single
processes. torch's FSDP2 itself runs on CPU, so this shim makes accelerate's state say FSDP where
it would say MULTI_CPU; everything else (`Accelerator.prepare` → `fully_shard`, `get_state_dict`,
the stage code) is the real path. It prints one line per process saying whether the prepared
model's parameters are sharded DTensors, for the test to check.
"""

from __future__ import annotations

import runpy
import sys

from accelerate import Accelerator
from accelerate.state import AcceleratorState, PartialState
from accelerate.utils import DistributedType

_state_init = AcceleratorState.__init__
_prepare = Accelerator.prepare


def _init(self, *args, fsdp_plugin=None, **kwargs):
    _state_init(self, *args, fsdp_plugin=fsdp_plugin, **kwargs)
    if fsdp_plugin is not None and self.distributed_type == DistributedType.MULTI_CPU:
        # What AcceleratorState.__init__ does for MULTI_GPU when an FSDP plugin is given.
        self.distributed_type = DistributedType.FSDP
        if self._mixed_precision != "no":
            fsdp_plugin.set_mixed_precision(self._mixed_precision)
        self.fsdp_plugin = fsdp_plugin
        PartialState._shared_state["distributed_type"] = DistributedType.FSDP


def _prepare_and_report(self, *args, **kwargs):
    from torch.distributed.tensor import DTensor

    result = _prepare(self, *args, **kwargs)
    for obj in result if isinstance(result, (tuple, list)) else (result,):  # FSDP2 returns a list
        params = list(obj.parameters()) if hasattr(obj, "parameters") else []
        if params:
            local = sum(p.to_local().numel() if isinstance(p, DTensor) else p.numel() for p in params)
            full = sum(p.numel() for p in params)
            print(f"fsdp_cpu: rank {self.process_index} fsdp2={self.is_fsdp2} "
                  f"dtensors={all(isinstance(p, DTensor) for p in params)} local={local} full={full}", flush=True)
    return result


AcceleratorState.__init__ = _init
Accelerator.prepare = _prepare_and_report

if __name__ == "__main__":
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    runpy.run_path(script, run_name="__main__")
