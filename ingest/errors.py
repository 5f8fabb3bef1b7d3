"""Why a file could not be ingested. Every message names the file and what to do about it."""


class IngestError(Exception):
    """A whole file (or the run) cannot be ingested."""


class UnreadableFile(IngestError):
    """Missing, empty, binary, too large or not UTF-8."""


class UnknownFormat(IngestError):
    """The content matches none of the formats we parse."""


class MalformedFile(IngestError):
    """The format is known but the file is broken where it cannot be skipped around."""
