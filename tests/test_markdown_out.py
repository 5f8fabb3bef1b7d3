"""An answer out as Markdown: its text, its flagged claims and its numbered sources, with
nothing in other people's text turned into markup."""

from keyword_corpus import PAPERS, KeywordEmbeddings, paper

from assistant import Assistant
from assistant.answer.render import sources_block
from assistant.answer.result import REFUSAL, Answer, Citation
from ingest.records import PaperRecord

MANY = tuple(f"Author {i}" for i in range(15))
LINKED = PaperRecord(
    "Costs in <b>O(n)</b>: a [study](http://tracker.example/x)",
    "Abstract.",
    MANY,
    2021,
    venue="Journal of Tests",
    doi="10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-O",
    arxiv_id="2101.00001",
    url="javascript:alert(1)",
)


def test_the_text_its_flagged_claims_and_numbered_sources(settings):
    assistant = Assistant(settings, embeddings=KeywordEmbeddings())
    assistant.index.upsert(PAPERS)
    answer = assistant.ask("How does DUQ estimate uncertainty?")
    text = answer.to_markdown()
    body = answer.text.removesuffix(sources_block(answer.citations)).strip()
    assert text.startswith("## How does DUQ estimate uncertainty?\n\n")
    assert body.replace("[1]", "\\[1\\]") in text
    assert text.endswith("Sources:\n\n- \\[1\\] DUQ (2020). Joost van Amersfoort.\n"), (
        text
    )  # listed once, in full, not the answer's short Sources block too
    assert text.count("Sources:") == 1


def test_unsupported_claims_are_marked_and_a_notice_kept():
    cited = paper("Temperature Scaling", "We study calibration.", ["Ann Lee"], 2021)
    answer = Answer(
        "Scaling calibrates [1]. It cures colds [1]." + sources_block([Citation(1, cited)]),
        [Citation(1, cited)],
        False,
        [],
        {},
        "offline",
        unsupported=["It cures colds."],  # as the check lists them: the claim, uncited
        notice="The language model could not answer (timeout); offline answer below",
        question="Does scaling calibrate?",
    )
    text = answer.to_markdown()
    assert "It cures colds \\[1\\]. ⚠️ *(not supported by the cited abstract)*" in text
    assert "Scaling calibrates \\[1\\]. It" in text  # the supported claim is not marked
    assert "*The language model could not answer (timeout); offline answer below*" in text


def test_other_peoples_text_stays_text_and_only_the_index_links_are_live():
    answer = Answer("Costs are linear [1].", [Citation(1, LINKED)], False, [], {}, "offline")
    (source,) = [line for line in answer.to_markdown().splitlines() if line.startswith("- ")]
    assert "&lt;b&gt;O(n)&lt;/b&gt;" in source and "<b>" not in source
    assert "a \\[study\\](http\\://tracker.example/x)" in source  # no link, no autolink
    assert "Author 11 and 3 more. Journal of Tests." in source and "Author 12" not in source
    assert "javascript" not in source  # not a web link: left out
    doi = "https://doi.org/10.1002/(SICI)1097-4571(199806)49:8%3C693::AID-ASI4%3E3.0.CO;2-O"
    assert source.endswith(f"DOI <{doi}>, arXiv <https://arxiv.org/abs/2101.00001>.")


def test_a_refusal_is_its_text_alone():
    refused = Answer(REFUSAL, [], True, [], {}, "offline", question="Who won the 1930 cup?")
    assert refused.to_markdown() == f"## Who won the 1930 cup?\n\n{REFUSAL}\n"
