"""Where the papers live once ingested: the Chroma collection (vectors and filterable
metadata, written through a journal), the local side index kept in step with it (BM25,
the catalog of filter fields, a copy of the vectors), the embedding model, and counts.

Imports: `ingest`, `assistant.settings`, `assistant.errors`, `assistant.text`; nothing
from the rooms after it (search, answer, web, evaluation).
"""
