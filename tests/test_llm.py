"""The real openai client inside the answering chain, against the local stub server:
answers, retries, and every failure explained in the offline answer's notice."""

from __future__ import annotations

import socket
import subprocess
import sys

import openai
import pytest
from keyword_corpus import PAPERS, KeywordEmbeddings
from openai_stub import Drop, Empty, Error, Malformed, OpenAIStub, Reply, Sleep

from assistant import Assistant
from assistant.answer.llm import explain_llm_error
from assistant.answer.result import Answer
from assistant.settings import Settings

KEY = "sk-test-do-not-print-4242"
QUESTION = "How does DUQ estimate uncertainty?"


def stub_settings(stub: OpenAIStub, tmp_path, **overrides) -> Settings:
    values = dict(
        data_dir=tmp_path / "data",
        openai_base_url=stub.url,
        openai_api_key=KEY,
        llm_model="stub-model",
        llm_timeout_s=2.0,
        llm_retries=1,
    )
    return Settings(**(values | overrides))


def ask(settings: Settings) -> tuple[list[str], Answer]:
    """The pieces streamed and the final answer, through the chain the UI uses."""
    assistant = Assistant(settings, embeddings=KeywordEmbeddings())
    assistant.index.upsert(PAPERS)
    *pieces, answer = assistant.stream(QUESTION)
    return pieces, answer


def failure(settings: Settings) -> str:
    """The notice of an answer the endpoint failed on (the offline answer stands in)."""
    _, answer = ask(settings)
    assert answer.backend == "offline" and answer.citations, answer
    return answer.notice


def test_the_answer_streams_from_the_model_with_model_prompt_and_key(openai_stub, tmp_path):
    first = "DUQ estimates uncertainty in a single forward pass [1]."
    text = f"{first} It quantifies uncertainty without ensembles, deterministically [1]."
    openai_stub.push(Reply(text))
    pieces, answer = ask(stub_settings(openai_stub, tmp_path))
    assert answer.backend == "stub-model" and answer.notice is None
    # held back until a sentence cites a paper that backs it, then word by word
    assert pieces[0].startswith(first) and len(pieces) >= 5
    assert "".join(pieces) == answer.text and answer.text.startswith(text)
    (request,) = openai_stub.completions
    assert request.body["model"] == "stub-model" and request.body["stream"] is True
    assert request.body["temperature"] == 0
    assert [m["role"] for m in request.messages] == ["system", "user"]
    assert request.messages[1]["content"].endswith(f"Question: {QUESTION}")
    assert request.headers["authorization"] == f"Bearer {KEY}"


def test_without_a_key_a_placeholder_is_sent(openai_stub, tmp_path):
    ask(stub_settings(openai_stub, tmp_path, openai_api_key=None))
    assert openai_stub.completions[0].headers["authorization"] == "Bearer not-needed"


@pytest.mark.parametrize("status", [429, 500, 503])
def test_retryable_status_then_success_retries_once(openai_stub, tmp_path, status):
    openai_stub.push(Error(status), Reply("DUQ needs one forward pass [1]."))
    _, answer = ask(stub_settings(openai_stub, tmp_path))
    assert answer.backend == "stub-model" and answer.notice is None
    assert len(openai_stub.completions) == 2


def test_dropped_connection_is_retried(openai_stub, tmp_path):
    openai_stub.push(Drop(), Reply("DUQ needs one forward pass [1]."))
    _, answer = ask(stub_settings(openai_stub, tmp_path))
    assert answer.backend == "stub-model"
    assert len(openai_stub.completions) == 2


def test_rate_limit_that_persists_says_how_many_retries(openai_stub, tmp_path):
    openai_stub.push(*[Error(429)] * 3)
    assert "429) after 2 retries" in failure(stub_settings(openai_stub, tmp_path, llm_retries=2))
    assert len(openai_stub.completions) == 3


def test_server_error_names_the_status(openai_stub, tmp_path):
    openai_stub.push(Error(503), Error(503))
    assert "HTTP 503 after 1 retry -" in failure(stub_settings(openai_stub, tmp_path))


def test_bad_key_is_not_retried_and_the_message_hides_it(openai_stub, tmp_path):
    openai_stub.push(Error(401, f"Incorrect API key provided: {KEY}"))
    notice = failure(stub_settings(openai_stub, tmp_path))
    assert "OPENAI_API_KEY" in notice and KEY not in notice
    assert len(openai_stub.completions) == 1


def test_unknown_model_names_the_model_setting(openai_stub, tmp_path):
    openai_stub.push(Error(404, "The model `nope` does not exist"))
    notice = failure(stub_settings(openai_stub, tmp_path, llm_model="nope"))
    assert "ASSISTANT_LLM_MODEL" in notice and "'nope'" in notice
    assert len(openai_stub.completions) == 1


def test_other_client_errors_quote_the_server(openai_stub, tmp_path):
    openai_stub.push(Error(400, "context length exceeded, and here is the key " + KEY))
    notice = failure(stub_settings(openai_stub, tmp_path))
    assert "HTTP 400: context length exceeded" in notice and KEY not in notice


def test_server_down_says_cannot_reach(tmp_path):
    with socket.socket() as sock:  # a free port with nothing listening on it
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    settings = Settings(
        data_dir=tmp_path / "data", openai_base_url=url, openai_api_key=None, llm_retries=0
    )
    notice = failure(settings)
    assert f"cannot reach the LLM at {url} - is the server running?" in notice
    assert "Unset OPENAI_BASE_URL" in notice


def test_timeout_names_the_seconds_and_the_setting(openai_stub, tmp_path):
    openai_stub.push(Sleep(5), Sleep(5))
    notice = failure(stub_settings(openai_stub, tmp_path, llm_timeout_s=0.3))
    assert "within 0.3 s" in notice and "ASSISTANT_LLM_TIMEOUT_S" in notice
    assert len(openai_stub.completions) == 2  # timeouts are retried too


def test_malformed_body_says_it_is_not_openai_json(openai_stub, tmp_path):
    openai_stub.push(Malformed())
    assert "not OpenAI JSON" in failure(stub_settings(openai_stub, tmp_path))


@pytest.mark.parametrize("choices", [False, True], ids=["no-choices", "empty-content"])
def test_empty_answer_falls_back(openai_stub, tmp_path, choices):
    openai_stub.push(Empty(choices=choices))
    assert "empty answer" in failure(stub_settings(openai_stub, tmp_path))


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
    code = "import sys, assistant.answer.llm; print('openai' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
