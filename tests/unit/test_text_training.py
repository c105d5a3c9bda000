"""Text creation models: writing samples go in like portfolio items, a LoRA trains on the embedded
studio-tiny-text with checkpoints, cancel and resume, and the adapter loads into plain transformers + peft."""

from __future__ import annotations

import json
import random
import threading

import pytest

from studio.errors import StudioError
from studio.text import world
from studio.text.inference import brief_line, load, write
from studio.training import text_data, text_lora
from studio.training.config import TextTrainConfig

FAST = dict(steps=6, batch_size=2, rank=4, checkpoint_every=0, sample_every=0, threads=1)


def _copy(brief: world.Brief, rng: random.Random) -> str:
    return f"{brief.business}: honestly, the {rng.choice(['best', 'finest'])} {brief.business_type} around."


@pytest.fixture(scope="module")
def samples_file(tmp_path_factory):
    """A JSONL of 12 writing samples with briefs, then an empty copy and a broken line."""
    rng = random.Random(3)
    path = tmp_path_factory.mktemp("writing") / "samples.jsonl"
    rows = [json.dumps({"brief": brief_line(b), "copy": _copy(b, rng)}) for b in world.briefs(12, 3, "test-writer")]
    path.write_text("\n".join(rows + ['{"brief": "x", "copy": "  "}', "{not json"]) + "\n")
    return path


def _weights(folder):
    from safetensors.torch import load_file

    return load_file(str(folder / "adapter_model.safetensors"))


def test_writing_samples_go_in_one_item_per_line_with_each_bad_line_refused(vetted, samples_file, tmp_path):
    report = vetted.add_to_portfolio("ada", [samples_file])
    assert len(report.added) == 12
    assert [(r.name.split(" ", 1)[1], r.reason) for r in report.rejected] == [
        ("line 13", "the copy is empty"), ("line 14", report.rejected[1].reason)]
    assert "not valid JSON" in report.rejected[1].reason
    items = vetted.portfolio("ada")
    assert {i.kind for i in items} == {"text"} and all(i.caption.startswith("brief: ") for i in items)
    (tmp_path / "latin1.jsonl").write_bytes('{"copy": "caf\xe9"}\n'.encode("latin-1"))
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02copy")
    (tmp_path / "empty.jsonl").write_bytes(b"")
    bad = vetted.add_to_portfolio("ada", [tmp_path / "latin1.jsonl", tmp_path / "binary.txt", tmp_path / "empty.jsonl"])
    assert not bad.added and len(bad.rejected) == 3
    assert len(vetted.portfolio("ada")) == 12  # nothing stored from the bad files


def test_a_creators_text_model_trains_records_and_loads_into_plain_peft(vetted, samples_file):
    vetted.add_to_portfolio("ada", [samples_file])
    events = []
    v = vetted.train("ada", on_event=events.append, **{**FAST, "sample_every": 3})  # kind: what the portfolio holds
    assert v.manifest["kind"] == "text" and v.manifest["base"]["name"] == "studio-tiny-text"
    assert v.trigger is None and v.metrics["steps"] == FAST["steps"]
    assert {i["role"] for i in v.manifest["items"]} == {"train", "holdout"}
    assert all("copy" not in i and i["consent_id"] for i in v.manifest["items"])
    previews = [e for e in events if e.kind == "samples"]
    assert [e.step for e in previews] == [3, 6] and all(isinstance(t, str) and t for t in previews[-1].texts)

    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base = v.manifest["base"]["path"]
    plain = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), str(v.path)).eval()
    tokenizer = AutoTokenizer.from_pretrained(base)
    brief = brief_line(world.briefs(1, 99)[0])
    ours = write(*load(v.path), [brief], seed=5, do_sample=False)
    theirs = write(plain, tokenizer, [brief], seed=5, do_sample=False)
    assert ours == theirs


def test_image_only_options_and_over_long_samples_are_refused_before_anything_is_written(vetted, samples_file, tmp_path):
    vetted.add_to_portfolio("ada", [samples_file])
    with pytest.raises(StudioError, match="--trigger: for image models only"):
        vetted.train("ada", trigger="adastyle", **FAST)
    long = text_data.TextExample("word " * 400, None, "f" * 64, source="long.txt")
    with pytest.raises(StudioError, match="long.txt is .* tokens .* over the model's limit"):
        text_lora.train(TextTrainConfig(**FAST), [long], tmp_path / "model")
    assert not (tmp_path / "model").exists()


def test_cancel_keeps_a_checkpoint_and_resume_finishes_with_the_same_weights(samples_file, tmp_path):
    examples = text_data.from_folder(samples_file.parent)
    cfg = TextTrainConfig(**{**FAST, "steps": 6, "checkpoint_every": 2})
    text_lora.train(cfg, examples, tmp_path / "straight")
    cancel = threading.Event()

    def stop_at_3(e):
        if e.kind == "step" and e.step == 3:
            cancel.set()

    out = tmp_path / "resumed"
    assert text_lora.train(cfg, examples, out, on_event=stop_at_3, cancel=cancel)["status"] == "cancelled"
    assert (out / "checkpoint-3" / "state.json").is_file() and not (out / "adapter_model.safetensors").exists()
    events = []
    assert text_lora.train(cfg, examples, out, resume=True, on_event=events.append)["status"] == "done"
    assert events[0].message == "resumed from step 3"
    straight, resumed = _weights(tmp_path / "straight"), _weights(out)
    assert straight.keys() == resumed.keys()
    assert all((straight[k] - resumed[k]).abs().max() < 1e-5 for k in straight)
