"""Every error the assistant raises: each message says what went wrong and what fixes it.

Catch `AssistantError` for anything the user can act on, or `IngestError` (re-exported
from the ingest package, which sits below this one) for a file that cannot be read.
"""

from ingest.errors import IngestError, MalformedFile, UnknownFormat, UnreadableFile

__all__ = [
    "AssistantError",
    "DatasetError",
    "EmptyQuery",
    "FilterError",
    "IndexBusy",
    "IndexWriteFailed",
    "IngestError",
    "MalformedFile",
    "NotIndexed",
    "PromptError",
    "QuestionTooLong",
    "StoreUnavailable",
    "ThresholdError",
    "UnknownFormat",
    "UnknownPaper",
    "UnreadableFile",
]


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


class EmptyQuery(AssistantError):
    def __init__(self) -> None:
        super().__init__("The question is empty - type what you want to find")


class QuestionTooLong(AssistantError):
    def __init__(self, length: int, limit: int) -> None:
        super().__init__(
            f"The question is {length} characters long; the limit is {limit} - "
            "ask about one thing at a time"
        )


class FilterError(AssistantError):
    """An explicit filter that names no indexed value, or an unknown filter."""


class StoreUnavailable(AssistantError):
    """The Chroma server named in the settings cannot be reached."""


class IndexBusy(AssistantError):
    """Another ingest holds the index's write lock."""

    def __init__(self, pid: int | None) -> None:
        super().__init__(
            f"{another_ingest(pid)} is writing to this index - wait for it to finish, "
            "then try again"
        )
        self.pid = pid


def another_ingest(pid: int | None) -> str:
    return f"another ingest (pid {pid})" if pid else "another ingest"


class IndexWriteFailed(AssistantError):
    """Writing a batch to the index failed; that batch was undone (the ones before it
    stay, and the next ingest resumes)."""


class PromptError(AssistantError):
    """A prompt file that does not declare exactly the variables it uses."""


class ThresholdError(AssistantError):
    """A threshold that cannot be read or names no metric of the run."""


class DatasetError(AssistantError):
    """An eval dataset that cannot be used. `problems` holds every 'FILE:LINE: problem -
    fix' found; the message shows the first MAX_SHOWN so a long list stays readable."""

    MAX_SHOWN = 20

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[: self.MAX_SHOWN]
        if len(problems) > self.MAX_SHOWN:
            shown.append(f"... and {len(problems) - self.MAX_SHOWN} more problems")
        super().__init__("\n".join(shown))
