"""A faster dropout for CPU training: the same p, from a cheaper random stream.

    train.fast_dropout: true in params.yaml (the default); python bench/levers.py measures it.

Why: profiling e5-small training on 2 CPU cores (bf16 autocast, batch 16, real PAWS pairs) put 17.5 %
of the step in `aten::bernoulli_` — torch draws one random number per element for every dropout
mask (38 masks per step: embeddings, and per layer the attention probabilities, attention output
and feed-forward output), at about 160 M elements/s. Here one 64-bit draw gives four 16-bit
uniforms: an element is kept when its uniform is at or above round(p × 65536), so the drop rate is
p to within 1/65536 (0.1 → 0.100006) and the kept elements are scaled by 1/(1 − p) as in
`torch.nn.functional.dropout`. Same expectation, same regularisation, different random stream;
`bench/levers.py --accuracy` measures what it does to accuracy.

Only CPU tensors take this path: on a GPU, torch's fused Philox dropout is already fast.
`use_fast_dropout(model)` swaps every `nn.Dropout` module and routes attention through
`xstilts_sdpa`: transformers' SDPA attention when no dropout is due (evaluation, p = 0), and
otherwise SDPA's own CPU math (scores, mask, softmax, dropout, weighted sum) with this mask.
"""

from __future__ import annotations

import torch
from torch import nn

ATTENTION = "xstilts_sdpa"
_LEVELS = 1 << 16


def drop_mask(shape: torch.Size | tuple[int, ...], p: float) -> torch.Tensor:
    """A boolean tensor of `shape`, True (drop) with probability round(p × 65536) / 65536."""
    n = 1
    for d in shape:
        n *= int(d)
    # 64 random bits per draw (the full int64 range: random_() alone leaves the sign bit 0), read
    # as four uniform int16s in [-32768, 32768).
    words = torch.empty((n + 3) // 4, dtype=torch.int64).random_(-(1 << 63), None)
    return words.view(torch.int16)[:n].view(shape) < round(p * _LEVELS) - _LEVELS // 2


def fast_dropout(x: torch.Tensor, p: float, training: bool = True) -> torch.Tensor:
    if not training or p == 0.0:
        return x
    if x.device.type != "cpu" or p >= 1.0:
        return nn.functional.dropout(x, p, training)
    # Scale, then zero the dropped elements: autograd keeps only the boolean mask for backward,
    # and the gradient is the same mask times 1/(1 - p), as with torch's dropout.
    return (x * (1.0 / (1.0 - p))).masked_fill_(drop_mask(x.shape, p), 0.0)


class FastDropout(nn.Dropout):
    """`nn.Dropout` with `fast_dropout` (same `p`, same state dict: dropout has no weights)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return fast_dropout(x, self.p, self.training)


def _attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0, **kwargs):
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    if dropout == 0.0 or query.device.type != "cpu" or key.shape[1] != query.shape[1]:
        return sdpa_attention_forward(module, query, key, value, attention_mask, scaling=scaling,
                                      dropout=dropout, **kwargs)
    # What SDPA's CPU math path does when dropout is on, with the cheaper mask.
    scale = query.size(-1) ** -0.5 if scaling is None else scaling
    scores = torch.matmul(query, key.transpose(2, 3)) * scale
    if attention_mask is not None:
        if attention_mask.dtype == torch.bool:  # sdpa_mask's convention: True = attend
            scores = scores.masked_fill(~attention_mask, torch.finfo(scores.dtype).min)
        else:
            scores = scores + attention_mask
    probs = fast_dropout(torch.softmax(scores, dim=-1), dropout, True)
    return torch.matmul(probs, value).transpose(1, 2).contiguous(), None


def register_attention() -> None:
    """Make `xstilts_sdpa` known to transformers (attention function and its boolean SDPA mask)."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    AttentionInterface.register(ATTENTION, _attention)
    AttentionMaskInterface.register(ATTENTION, sdpa_mask)


def use_fast_dropout(model: nn.Module) -> int:
    """Swap `model`'s dropout for `fast_dropout` in place; returns how many dropout modules changed.
    Attention moves to `xstilts_sdpa` only where the model already uses SDPA (so an explicit
    eager or flash choice stays)."""
    swapped = 0
    for module in list(model.modules()):
        for name, child in module.named_children():
            if type(child) is nn.Dropout:
                setattr(module, name, FastDropout(child.p, child.inplace))
                swapped += 1
    config = getattr(model, "config", None)
    if config is not None and getattr(config, "_attn_implementation", None) == "sdpa":
        register_attention()
        model.set_attn_implementation(ATTENTION)
    return swapped
