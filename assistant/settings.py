"""Every knob in one place, each with a default and a reason, read from ASSISTANT_* env vars."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", frozen=True)

    data_dir: Path = Field(
        Path(".assistant"), description="Folder holding the index (Chroma files, BM25, journal)."
    )
    chroma_host: str | None = Field(
        None, description="Host of a `chroma run` server; unset means embedded Chroma in data_dir."
    )
    chroma_port: int = Field(
        8000, description="Port of the Chroma server, when chroma_host is set."
    )
    collection: str = Field("papers", description="Name of the Chroma collection of papers.")
    embed_batch_size: int = Field(16, description="Texts embedded per batch; 16 is fastest here.")
    embed_threads: int = Field(2, description="Threads for embedding; one per CPU core is best.")
    max_file_mb: float = Field(20.0, description="Largest input file ingest accepts, in MB.")
    llm: Literal["auto", "offline", "openai"] = Field(
        "auto", description="Who writes answers: auto = the LLM endpoint when one is configured."
    )
    llm_model: str = Field("gpt-4o-mini", description="Model name sent to the LLM endpoint.")
    openai_api_key: str | None = Field(
        None,
        validation_alias=AliasChoices("ASSISTANT_OPENAI_API_KEY", "OPENAI_API_KEY"),
        description="Key for the OpenAI-compatible endpoint (OPENAI_API_KEY works too).",
    )
    openai_base_url: str | None = Field(
        None,
        validation_alias=AliasChoices("ASSISTANT_OPENAI_BASE_URL", "OPENAI_BASE_URL"),
        description="URL of an OpenAI-compatible server (vLLM, Ollama, ...); OPENAI_BASE_URL too.",
    )
    llm_timeout_s: float = Field(30.0, description="Seconds to wait for the LLM before giving up.")
    llm_retries: int = Field(2, description="Retries (with backoff) for timeouts, 429 and 5xx.")

    @property
    def uses_llm(self) -> bool:
        """True when answers come from the LLM endpoint rather than the offline answerer."""
        configured = bool(self.openai_api_key or self.openai_base_url)
        return self.llm == "openai" or (self.llm == "auto" and configured)

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1_000_000)
