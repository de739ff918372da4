"""Models the course trains itself and ships: a small CNN pretrained on the digits 0-4 (chapter 12)."""

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
