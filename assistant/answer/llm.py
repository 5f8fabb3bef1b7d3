"""The LLM: one OpenAI-compatible chat model, and failures explained in one sentence each.

Any server speaking the OpenAI chat-completions protocol works (OpenAI, vLLM, Ollama,
llama.cpp server, LM Studio), so this is the one place a real LLM client is built;
everything else takes a `BaseChatModel` and tests pass fakes or point this one at a
local stub server. Retries are the openai client's own: it retries connection errors,
timeouts, 429 and 5xx with exponential backoff (honouring Retry-After), `llm_retries`
times, so there is no retry loop here. langchain_openai is imported inside chat_model()
because it is slow to import and the offline answerer never needs it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from assistant.settings import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

OPENAI_URL = "https://api.openai.com/v1"  # where the openai client goes without a base URL
EMPTY_ANSWER = "the LLM returned an empty answer - ask again or try another model"


def chat_model(settings: Settings) -> BaseChatModel:
    """The chat model for the configured endpoint (no request is made here)."""
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=settings.llm_model,
        api_key=settings.openai_api_key or "not-needed",  # local servers ignore the key
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout_s,
        max_retries=settings.llm_retries,
        temperature=0,
        # Compatible servers implement chat completions only; never route a model
        # name to OpenAI's Responses API.
        use_responses_api=False,
    )


def explain_llm_error(error: Exception, settings: Settings) -> str:
    """One sentence saying what went wrong with the LLM call and what fixes it."""
    import openai

    url = settings.openai_base_url or OPENAI_URL
    n = settings.llm_retries
    retries = f"after {n} {'retry' if n == 1 else 'retries'}"
    status = getattr(error, "status_code", None)
    match error:
        case openai.APITimeoutError():
            message = (
                f"the LLM at {url} did not answer within {settings.llm_timeout_s:g} s "
                f"({retries}) - raise ASSISTANT_LLM_TIMEOUT_S or use a smaller model"
            )
        case openai.APIConnectionError():
            message = f"cannot reach the LLM at {url} - is the server running? {_offline(settings)}"
        case openai.AuthenticationError():
            key = "" if settings.openai_api_key else " (none is set)"
            message = f"the LLM at {url} rejected the API key (401) - check OPENAI_API_KEY{key}"
        case openai.PermissionDeniedError():
            message = (
                f"the API key may not use model '{settings.llm_model}' at {url} (403) - "
                "check OPENAI_API_KEY or ASSISTANT_LLM_MODEL"
            )
        case openai.NotFoundError():
            message = (
                f"the LLM at {url} has no model '{settings.llm_model}' (404) - set "
                "ASSISTANT_LLM_MODEL to one the server lists at /models, and check that "
                "OPENAI_BASE_URL ends in /v1"
            )
        case openai.RateLimitError():
            message = (
                f"the LLM at {url} is rate-limiting requests (429) {retries} - wait and "
                "ask again, or raise ASSISTANT_LLM_RETRIES"
            )
        case openai.APIStatusError() if status is not None and status >= 500:
            message = (
                f"the LLM at {url} failed with HTTP {status} {retries} - check the "
                "server's logs, or ask again later"
            )
        case openai.APIStatusError():
            detail = _redact(_server_message(error), settings)[:200]
            message = f"the LLM at {url} refused the request with HTTP {status}: {detail}"
        case json.JSONDecodeError() | openai.APIResponseValidationError():
            message = (
                f"the LLM at {url} sent a response that is not OpenAI JSON - is "
                "OPENAI_BASE_URL an OpenAI-compatible endpoint (usually ending in /v1)?"
            )
        case IndexError() | ValueError() if _is_empty(error):
            message = EMPTY_ANSWER
        case _:
            detail = _redact(f"{type(error).__name__}: {error}", settings)[:200]
            message = (
                f"the LLM at {url} sent a response this client cannot read ({detail}) - is "
                "OPENAI_BASE_URL an OpenAI-compatible chat-completions endpoint?"
            )
    return _redact(message, settings)


def _is_empty(error: Exception) -> bool:
    # langchain's ways of saying "no choices": generations[0] on an empty list when
    # blocking, "No generation chunks were returned" when streaming.
    return isinstance(error, IndexError) or "no generation chunks" in str(error).lower()


def _server_message(error: Exception) -> str:
    body = getattr(error, "body", None)  # the "error" object of the JSON body, when parsed
    if isinstance(body, dict):
        body = body.get("message") or body.get("detail")
    return body if isinstance(body, str) and body else str(error)


def _offline(settings: Settings) -> str:
    if settings.llm == "auto" and settings.openai_base_url and not settings.openai_api_key:
        return "Unset OPENAI_BASE_URL to answer offline"
    return "Set ASSISTANT_LLM=offline to answer offline"


def _redact(text: str, settings: Settings) -> str:
    key = settings.openai_api_key
    return text.replace(key, "***") if key else text
