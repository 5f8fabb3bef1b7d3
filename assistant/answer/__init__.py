"""Turning retrieved papers into an answer: the chain (condense, retrieve, write, check),
the refusal decision, the offline extractive answerer, the LLM and its prompt files,
follow-up rewriting, the citation grammar and check, the checked text a stream shows,
and the `Answer` every surface receives.

Imports: `assistant.search`, `assistant.store` and the shared modules; nothing from web
or evaluation.
"""
