"""``dlcourse.nn.utils``, as ``torch.nn.utils``: gradient clipping (defined in clip_grad.py)."""

from dlcourse.nn.clip_grad import clip_grad_norm_, clip_grad_value_

__all__ = ["clip_grad_norm_", "clip_grad_value_"]
