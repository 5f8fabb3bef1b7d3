"""The real openai client path, against the local stub server: answers, retries, failures."""

from __future__ import annotations

import socket
import subprocess
import sys

import openai
import pytest
from openai_stub import Drop, Empty, Error, Malformed, OpenAIStub, Reply, Sleep

from assistant.llm import LLMUnavailable, chat_model, explain_llm_error, llm_errors, response_text
from assistant.settings import Settings

KEY = "sk-test-do-not-print-4242"
QUESTION = [("system", "Answer from the papers."), ("user", "Which papers study RAG?")]


def stub_settings(stub: OpenAIStub, **overrides) -> Settings:
    values = dict(
        openai_base_url=stub.url,
        openai_api_key=KEY,
        llm_model="stub-model",
        llm_timeout_s=2.0,
        llm_retries=1,
    )
    return Settings(**(values | overrides))


def ask(settings: Settings) -> str:
    with llm_errors(settings):
        return response_text(chat_model(settings).invoke(QUESTION))


def ask_streaming(settings: Settings) -> list[str]:
    with llm_errors(settings):
        pieces = [chunk.text for chunk in chat_model(settings).stream(QUESTION)]
    response_text("".join(pieces))
    return pieces


def test_invoke_returns_the_text_and_sends_model_and_messages(openai_stub):
    openai_stub.push(Reply("Two papers study RAG [1][2]."))
    assert ask(stub_settings(openai_stub)) == "Two papers study RAG [1][2]."
    (request,) = openai_stub.completions
    assert request.body["model"] == "stub-model"
    assert request.body["temperature"] == 0
    assert request.messages == [
        {"role": "system", "content": "Answer from the papers."},
        {"role": "user", "content": "Which papers study RAG?"},
    ]
    assert request.headers["authorization"] == f"Bearer {KEY}"


def test_without_a_key_a_placeholder_is_sent(openai_stub):
    ask(stub_settings(openai_stub, openai_api_key=None))
    assert openai_stub.completions[0].headers["authorization"] == "Bearer not-needed"


def test_stream_yields_several_pieces_that_join_to_the_text(openai_stub):
    text = "Paper one uses dense retrieval [1] and paper two BM25 [2]."
    openai_stub.push(Reply(text))
    pieces = ask_streaming(stub_settings(openai_stub))
    assert len([p for p in pieces if p]) >= 5
    assert "".join(pieces) == text
    assert openai_stub.completions[0].body["stream"] is True


@pytest.mark.parametrize("status", [429, 500, 503])
def test_retryable_status_then_success_retries_once(openai_stub, status):
    openai_stub.push(Error(status), Reply("fine now"))
    assert ask(stub_settings(openai_stub)) == "fine now"
    assert len(openai_stub.completions) == 2


def test_dropped_connection_is_retried(openai_stub):
    openai_stub.push(Drop(), Reply("fine now"))
    assert ask(stub_settings(openai_stub)) == "fine now"
    assert len(openai_stub.completions) == 2


def test_rate_limit_that_persists_says_how_many_retries(openai_stub):
    openai_stub.push(*[Error(429)] * 3)
    with pytest.raises(LLMUnavailable, match=r"429\) after 2 retries") as caught:
        ask(stub_settings(openai_stub, llm_retries=2))
    assert isinstance(caught.value.__cause__, openai.RateLimitError)
    assert len(openai_stub.completions) == 3


def test_server_error_names_the_status(openai_stub):
    openai_stub.push(Error(503), Error(503))
    with pytest.raises(LLMUnavailable, match="HTTP 503 after 1 retry -"):
        ask(stub_settings(openai_stub))


def test_bad_key_is_not_retried_and_the_message_hides_it(openai_stub):
    openai_stub.push(Error(401, f"Incorrect API key provided: {KEY}"))
    with pytest.raises(LLMUnavailable) as caught:
        ask(stub_settings(openai_stub))
    message = str(caught.value)
    assert "OPENAI_API_KEY" in message
    assert KEY not in message
    assert isinstance(caught.value.__cause__, openai.AuthenticationError)
    assert len(openai_stub.completions) == 1


def test_unknown_model_names_the_model_setting(openai_stub):
    openai_stub.push(Error(404, "The model `nope` does not exist"))
    with pytest.raises(LLMUnavailable, match="ASSISTANT_LLM_MODEL") as caught:
        ask(stub_settings(openai_stub, llm_model="nope"))
    assert "'nope'" in str(caught.value)
    assert len(openai_stub.completions) == 1


def test_other_client_errors_quote_the_server(openai_stub):
    openai_stub.push(Error(400, "context length exceeded, and here is the key " + KEY))
    with pytest.raises(LLMUnavailable, match="HTTP 400: context length exceeded") as caught:
        ask(stub_settings(openai_stub))
    assert KEY not in str(caught.value)


def test_server_down_says_cannot_reach():
    with socket.socket() as sock:  # a free port with nothing listening on it
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    settings = Settings(openai_base_url=url, openai_api_key=None, llm="auto", llm_retries=0)
    with pytest.raises(LLMUnavailable) as caught:
        ask(settings)
    message = str(caught.value)
    assert message.startswith(f"cannot reach the LLM at {url} - is the server running?")
    assert "Unset OPENAI_BASE_URL" in message


def test_timeout_names_the_seconds_and_the_setting(openai_stub):
    openai_stub.push(Sleep(5), Sleep(5))
    with pytest.raises(LLMUnavailable) as caught:
        ask(stub_settings(openai_stub, llm_timeout_s=0.3))
    message = str(caught.value)
    assert "within 0.3 s" in message
    assert "ASSISTANT_LLM_TIMEOUT_S" in message
    assert isinstance(caught.value.__cause__, openai.APITimeoutError)
    assert len(openai_stub.completions) == 2  # timeouts are retried too


@pytest.mark.parametrize("streaming", [False, True])
def test_malformed_body_says_it_is_not_openai_json(openai_stub, streaming):
    openai_stub.push(Malformed())
    with pytest.raises(LLMUnavailable, match=r"not OpenAI JSON.*OPENAI_BASE_URL"):
        (ask_streaming if streaming else ask)(stub_settings(openai_stub))


@pytest.mark.parametrize("streaming", [False, True])
@pytest.mark.parametrize("choices", [False, True], ids=["no-choices", "empty-content"])
def test_empty_answer_is_unavailable(openai_stub, streaming, choices):
    openai_stub.push(Empty(choices=choices))
    with pytest.raises(LLMUnavailable, match="empty answer"):
        (ask_streaming if streaming else ask)(stub_settings(openai_stub))


def test_explain_handles_anything_and_never_prints_the_key():
    settings = Settings(openai_base_url=None, openai_api_key=KEY)
    message = explain_llm_error(RuntimeError(f"odd failure with {KEY}"), settings)
    assert "https://api.openai.com/v1" in message
    assert "RuntimeError" in message
    assert KEY not in message


def test_stub_lists_models(openai_stub):
    client = openai.OpenAI(base_url=openai_stub.url, api_key="x", max_retries=0)
    assert [m.id for m in client.models.list()] == ["stub-model"]


def test_uses_llm_only_when_an_endpoint_is_configured(monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ASSISTANT_OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name in ("ASSISTANT_OPENAI_BASE_URL", "ASSISTANT_LLM"):
        monkeypatch.delenv(name, raising=False)
    assert Settings().uses_llm is False
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    assert Settings().openai_base_url == "http://127.0.0.1:11434/v1"
    assert Settings().uses_llm is True
    monkeypatch.setenv("ASSISTANT_LLM", "offline")
    assert Settings().uses_llm is False


def test_importing_the_module_does_not_import_the_client():
    code = "import sys, assistant.llm; print('openai' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
