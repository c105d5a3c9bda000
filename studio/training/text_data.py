"""Training data for text models: writing samples from a portfolio or a plain folder, as token ids.

A :class:`TextExample` is one piece of copy with the brief it answered (if the writer gave one) and
where it came from (item id, sha256, consent record). :func:`encode` turns it into the ids the
model trains on: the brief's prompt, then the copy with the business's name as the model's name
slot (`studio.text.world.NAME_SLOT`, when the brief names the business) and the end of text; the
loss is taken on the copy only.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path

from studio.config import DEFAULT_POLICY, Policy
from studio.errors import StudioError
from studio.text import world
from studio.text.inference import brief_prompt, parsed_brief


@dataclass(frozen=True)
class TextExample:
    copy: str
    brief: str | None  # the brief line, when the writer gave one
    sha256: str
    item_id: str | None = None
    consent_id: str | None = None
    consent: str | None = None  # "own", "client:REF", or "folder" outside a studio home
    source: str | None = None

    @property
    def caption(self) -> str | None:  # the name a training item's text goes by in manifests and the gate
        return self.brief

    def record(self, role: str) -> dict:
        """What a manifest keeps of it: where it came from and its brief, not the copy (that stays a blob)."""
        d = asdict(self)
        d.pop("copy")
        return {**d, "caption": self.brief, "role": role}


def from_items(handle: str, items: list, blobs) -> list[TextExample]:
    """Examples from a creator's text items (`ItemView`s with active consent) and the blob store."""
    items = [v for v in items if v.kind == "text" and v.active]
    if not items:
        raise StudioError(f"{handle!r} has no writing samples with active consent to train on (add .txt files or a "
                          ".jsonl of {{\"brief\", \"copy\"}} lines with `studio portfolio add`, or check revoked consent)")
    return [TextExample(blobs.get(v.sha256).decode("utf-8").strip(), v.caption, v.sha256, v.id, v.consent_id,
                        v.consent, v.source) for v in items]


def from_folder(folder: Path, policy: Policy = DEFAULT_POLICY, skipped: list[str] | None = None) -> list[TextExample]:
    """Writing samples in a folder: ``.txt``/``.md`` files (briefs from a ``metadata.jsonl``, if any) and
    ``.jsonl`` files of ``{"brief", "copy"}`` lines, read like a portfolio intake."""
    from studio.portfolio import Accepted, collect, expand, validate

    folder = Path(folder)
    if not folder.is_dir():
        raise StudioError(f"{folder} is not a folder of writing samples")
    candidates, rejected = collect([folder], policy)
    examples, problems = [], [str(r) for r in rejected]
    for c in expand(candidates, policy):
        result = validate(c, policy)
        if not isinstance(result, Accepted):
            problems.append(str(result))
        elif result.kind == "text":
            examples.append(TextExample(result.data.decode("utf-8").strip(), result.caption,
                                        hashlib.sha256(result.data).hexdigest(), None, None, "folder", result.name))
    if skipped is not None:
        skipped.extend(problems)
    if not examples:
        detail = f" ({'; '.join(problems[:3])})" if problems else ""
        raise StudioError(f"{folder} holds no writing samples to train on{detail}")
    return examples


def target_text(example: TextExample) -> str:
    """The copy as the model learns to write it: the business's name as the name slot."""
    brief = parsed_brief(example.brief)
    return world.delexicalise(brief, example.copy) if brief else example.copy


def encode(tokenizer, example: TextExample) -> tuple[list[int], int]:
    """(token ids of prompt + copy + end of text, how many of them are the prompt)."""
    prompt = tokenizer(brief_prompt(example.brief)).input_ids  # with <s>, as the base was trained
    copy = tokenizer(" " + target_text(example), add_special_tokens=False).input_ids
    return prompt + copy + [tokenizer.eos_token_id], len(prompt)


def check_lengths(tokenizer, examples: list[TextExample], limit: int) -> list[tuple[list[int], int]]:
    """Every example encoded, or a clear error naming the first one the model cannot take whole."""
    encoded = []
    for e in examples:
        ids, n_prompt = encode(tokenizer, e)
        if len(ids) > limit:
            raise StudioError(f"writing sample {e.source or e.sha256[:12]} is {len(ids)} tokens with its brief, over the "
                              f"model's limit of {limit}: {e.copy[:60]!r}...; split it into shorter samples")
        encoded.append((ids, n_prompt))
    return encoded
