"""The assistant's errors: each message says what went wrong and what fixes it."""


class AssistantError(Exception):
    """A problem the user can act on; the CLI prints it without a stack trace."""


class NotIndexed(AssistantError):
    def __init__(self) -> None:
        super().__init__("No papers indexed yet - run 'assistant ingest'")


class UnknownPaper(AssistantError):
    def __init__(self, paper_id: str) -> None:
        super().__init__(
            f"no indexed paper has the id {paper_id!r} - ids come from search results, "
            "the library or 'assistant search --json'"
        )


class StoreUnavailable(AssistantError):
    """The Chroma server named in the settings cannot be reached."""


class IndexWriteFailed(AssistantError):
    """Writing to the index failed; the previous index was restored."""
