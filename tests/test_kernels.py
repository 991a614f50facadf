"""xstilts.kernels: the fast dropout keeps torch's dropout semantics.

    pytest tests/test_kernels.py
"""

from __future__ import annotations

import pytest
import torch

from tiny_model import make_tiny_encoder
from xstilts.kernels import ATTENTION, FastDropout, _attention, drop_mask, fast_dropout, use_fast_dropout
from xstilts.modeling import load_classifier


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_drop_rate_matches_p(p):
    torch.manual_seed(0)
    rate = drop_mask((1000, 1000), p).float().mean().item()
    assert abs(rate - p) < 0.002  # 1M draws: ± ~5 standard errors


def test_every_slice_of_the_draw_is_uniform():
    # Each 64-bit draw feeds four consecutive elements; a biased slice (e.g. a sign bit that is
    # always 0) would show as a different drop rate at one position of four.
    torch.manual_seed(1)
    mask = drop_mask((250_000, 4), 0.5).float()
    for rate in mask.mean(dim=0).tolist():
        assert abs(rate - 0.5) < 0.005


def test_values_gradient_and_seed():
    x = torch.randn(64, 100, requires_grad=True)
    torch.manual_seed(2)
    y = fast_dropout(x, 0.25)
    kept = y != 0
    assert torch.allclose(y[kept], x[kept] / 0.75)
    y.sum().backward()
    assert torch.allclose(x.grad, kept.float() / 0.75)  # d(dropout)/dx = mask / (1 - p)
    torch.manual_seed(2)
    assert torch.equal(fast_dropout(x, 0.25), y)  # the global seed fixes the masks
    assert fast_dropout(x, 0.25, training=False) is x
    assert fast_dropout(x, 0.0) is x


def test_keeps_dtype_and_shape():
    x = torch.randn(3, 5, 7, dtype=torch.bfloat16)
    y = fast_dropout(x, 0.1)
    assert y.dtype == torch.bfloat16 and y.shape == x.shape


def test_attention_path_equals_sdpa_without_dropout():
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    torch.manual_seed(3)
    module = torch.nn.Module()
    module.is_causal = False
    q, k, v = (torch.randn(2, 4, 9, 8) for _ in range(3))
    mask = torch.ones(2, 1, 9, 9, dtype=torch.bool)
    mask[1, :, :, 6:] = False  # the second pair has 3 padding positions
    ours, _ = _attention(module, q, k, v, mask, scaling=8 ** -0.5, dropout=1e-12)  # the masked math path
    ref, _ = sdpa_attention_forward(module, q, k, v, mask, scaling=8 ** -0.5, dropout=0.0)
    torch.testing.assert_close(ours, ref, atol=1e-5, rtol=1e-5)


def test_model_swap_keeps_evaluation_outputs_and_trains(tmp_path):
    encoder = make_tiny_encoder(tmp_path / "enc")
    torch.manual_seed(0)
    plain = load_classifier(encoder, labels=["no", "yes"]).eval()
    torch.manual_seed(0)
    fast = load_classifier(encoder, labels=["no", "yes"])
    swapped = use_fast_dropout(fast)
    assert swapped == sum(isinstance(m, torch.nn.Dropout) for m in plain.modules())
    assert all(type(m) is FastDropout for m in fast.modules() if isinstance(m, torch.nn.Dropout))
    assert fast.config._attn_implementation == ATTENTION
    ids = torch.tensor([[2, 5, 6, 7, 3], [2, 8, 3, 0, 0]])
    mask = (ids != 0).long()
    fast.eval()
    with torch.no_grad():
        torch.testing.assert_close(fast(input_ids=ids, attention_mask=mask).logits,
                                   plain(input_ids=ids, attention_mask=mask).logits)
    fast.train()
    loss = fast(input_ids=ids, attention_mask=mask, labels=torch.tensor([0, 1])).loss
    loss.backward()
    assert torch.isfinite(loss)
    assert all(p.grad is not None for p in fast.parameters() if p.requires_grad)
