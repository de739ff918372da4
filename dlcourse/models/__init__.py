"""Models the course builds itself: the PyTorch twin of the NumPy GPT (gpt.py, chapter 09; the same state_dict keys),
and a small CNN pretrained on the digits 0-4 whose weights ship with the package (digit_cnn.py, chapter 12)."""

from dlcourse.models.digit_cnn import (
    DOMAINS,
    NUM_BLOCKS,
    WEIGHTS_PATH,
    build_numpy,
    build_torch,
    change_domain,
    file_sha256,
    freeze_blocks,
    load_pretrained,
    load_weights,
    source_task,
    target_task,
)
