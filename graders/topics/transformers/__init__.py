"""13_transformers' graders, in two modules: attention (masks, multi_head_attention,
positional_encoding) and layers (rmsnorm, feed_forward, transformer_block, kv_cache)."""

from graders.topics.transformers import attention, layers  # noqa: F401 - registers their checks
