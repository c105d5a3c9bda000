"""The creator's personal AI assistant: knowledge, retrieval, handoff, guardrails, insights.

    from studio.assistant import Assistant
    a = Assistant(st, "mira")
    a.setup(studio.assistant.sample_knowledge_path("mira"))
    a.reply("How much is a logo?").text

Not imported by `import studio` (it pulls in numpy/scipy, and torch once a message is
embedded); import it where it is used.
"""

from pathlib import Path

from studio.assistant.core import Assistant, MessageView, QAView, Reply, parse_chats
from studio.assistant.knowledge import Knowledge, load as load_knowledge, parse as parse_knowledge

SAMPLES = Path(__file__).resolve().parent / "samples"


def sample_knowledge_path(handle: str) -> Path:
    """The sample knowledge YAML of a sample creator (mira, oskar, juno)."""
    return SAMPLES / f"{handle}.yaml"


def sample_chats_path(handle: str) -> Path:
    """The sample past-chat log (JSONL) of a sample creator."""
    return SAMPLES / f"{handle}-chats.jsonl"


def seed_samples(st, handles: tuple[str, ...] = ("mira", "oskar", "juno"), chats: bool = True) -> list[dict]:
    """Set up the sample creators' assistants (and import their sample chats); safe to run again."""
    out = []
    for handle in handles:
        a = Assistant(st, handle)
        info = a.setup(sample_knowledge_path(handle))
        if chats and sample_chats_path(handle).is_file():
            info["chats"] = a.import_chats(sample_chats_path(handle))
        out.append(info)
    return out


__all__ = ["Assistant", "Reply", "QAView", "MessageView", "Knowledge", "load_knowledge", "parse_knowledge",
           "parse_chats", "sample_knowledge_path", "sample_chats_path", "seed_samples", "SAMPLES"]
