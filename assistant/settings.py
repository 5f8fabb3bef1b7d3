"""Every knob in one place, each with a default and a reason, read from ASSISTANT_* env vars."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
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

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1_000_000)
