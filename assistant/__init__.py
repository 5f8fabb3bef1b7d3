"""paper-assistant: questions over research-paper abstracts, answered with checked citations."""

import os

# Library telemetry is off by default: this tool makes no network calls of its own accord.
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

__all__ = ["Assistant"]


def __getattr__(name: str):
    """`from assistant import Assistant`, without importing every library for `--help`."""
    if name == "Assistant":
        from assistant.api import Assistant

        return Assistant
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
