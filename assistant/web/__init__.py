"""The web UI (`assistant serve`): a Gradio app over one `Assistant`, and the HTML and
Markdown it shows, all escaped.

Imports: `assistant.api` and what it returns; the UI holds no search or answer logic.
"""
