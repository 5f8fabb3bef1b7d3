"""Finding the papers a question is about: reading the question (its filters, whether it
wants every qualifying paper), the filters themselves, and hybrid retrieval over the store.

Imports: `assistant.store` and the shared modules (settings, errors, text); nothing from
answer, web or evaluation.
"""
