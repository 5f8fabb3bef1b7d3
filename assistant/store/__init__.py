"""Where the papers live once ingested: the Chroma collection (vectors and filterable
metadata kept within Chroma's limits, written in journalled batches), the local side index
kept in step with it (BM25, the catalog of filter fields, a copy of the vectors), the
lock that lets one process write at a time, the embedding model, and counts.

Imports: `ingest`, `assistant.settings`, `assistant.errors`, `assistant.text`; nothing
from the rooms after it (search, answer, web, evaluation).
"""
