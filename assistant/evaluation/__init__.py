"""Offline evaluation (`assistant eval`): datasets, the mock LLM, running cases through
`Assistant.stream` (run.py), the summary of the scored cases, metrics, reports with plots,
and the threshold gate.

Imports: `assistant.api` and the rooms below it; nothing imports evaluation but the CLI.
"""
