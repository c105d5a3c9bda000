"""Generation: same seed same image (also in plain diffusers), previews, the memorisation guard."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from studio import cli, inference
from studio.errors import StudioError

pytestmark = pytest.mark.filterwarnings("ignore")

PROMPT = "a blue square on a yellow background, adastyle"


def _png(path_or_bytes) -> np.ndarray:
    src = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    return np.asarray(Image.open(src).convert("RGB"))


def test_studio_generate_matches_a_plain_diffusers_pipeline_with_the_saved_adapter(trained, tmp_path, capsys):
    import torch
    from diffusers import StableDiffusionPipeline

    (v,) = trained.models("ada")
    out = tmp_path / "out"
    assert cli.main(["generate", "ada", "--prompt", PROMPT, "-n", "2", "--seed", "7", "--out", str(out),
                     "--json", "--home", str(trained.home)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["seed"] for r in rows] == [7, 8] and all(r["id"].startswith("gen_") for r in rows)
    files = sorted(out.glob("*.png"))
    assert len(files) == 2

    # the same adapter (and the creator's own decoder, as the model card says) in a plain pipeline built
    # from the saved base, same seeds: the same images
    from safetensors.torch import load_file

    pipe = StableDiffusionPipeline.from_pretrained(v.manifest["base"]["path"], local_files_only=True)
    pipe.set_progress_bar_config(disable=True)
    pipe.load_lora_weights(str(v.path))
    if v.manifest.get("decoder"):
        pipe.vae.load_state_dict(load_file(str(v.path / v.manifest["decoder"])), strict=False)
    assert v.manifest.get("grain") is None  # a flat portfolio: no grain to add after decoding
    # the base's steps and size, at the guidance the model records (the card's example passes it too)
    settings = dict(num_inference_steps=4, guidance_scale=v.manifest["inference"]["guidance_scale"], height=64, width=64)
    plain = pipe([PROMPT] * 2, generator=[torch.Generator().manual_seed(s) for s in (7, 8)], **settings).images
    for row, image in zip(rows, plain):
        assert np.array_equal(np.asarray(image), _png(out / row["file"].split("/")[-1]))

    # seed 7 alone, in studio and in the plain pipeline: the same image; each generation recorded
    again = trained.generate("ada", PROMPT, seed=7)[0]
    alone = pipe(PROMPT, generator=torch.Generator().manual_seed(7), **settings).images[0]
    assert np.array_equal(_png(trained.blobs.get(again.sha256)), np.asarray(alone))
    # ...and the same picture as seed 7 in a batch of two, to within float rounding (1/255)
    assert np.abs(np.asarray(alone, dtype=int) - np.asarray(plain[0], dtype=int)).max() <= 1
    recorded = {g.id: g for g in trained.generations("ada")}
    assert {r["id"] for r in rows} <= set(recorded)
    assert recorded[rows[0]["id"]].model_version_id == v.id and recorded[rows[0]["id"]].prompt == PROMPT
    events = trained.ledger_events(kind="generation.created")
    assert {e["subject"] for e in events} == set(recorded)
    assert trained.verify_ledger().ok


def test_batch_previews_reuse_one_loaded_pipeline(trained):
    inference.forget_pipelines()
    before = inference.LOADS["count"]
    trained.generate("ada", PROMPT, n=3, seed=1)
    trained.generate("ada", "a red circle on a white background", n=2, seed=1)
    assert inference.LOADS["count"] == before + 1


def test_a_buyer_gets_a_downscaled_watermarked_preview_and_the_clean_image_is_kept(trained, tmp_path):
    with pytest.raises(StudioError, match="not published"):
        trained.generate("ada", PROMPT, seed=3, buyer="bob@example.com")
    trained.quality_gate("ada")
    from studio.store.tables import ModelVersion

    with trained.transaction() as s:  # whatever the random base scored, let it be published here
        row = s.get(ModelVersion, trained.models("ada")[0].id)
        row.scores = {**row.scores, "passed": True}
    trained.publish("ada", price_cents=300)
    (g,) = trained.generate("ada", PROMPT, seed=3, buyer="bob@example.com")
    clean, preview = _png(trained.blobs.get(g.sha256)), _png(trained.blobs.get(g.preview_sha256))
    assert clean.shape == (64, 64, 3) and preview.shape[0] < 64
    plain_small = np.asarray(Image.fromarray(clean).resize(preview.shape[1::-1], Image.LANCZOS))
    assert np.abs(plain_small.astype(int) - preview.astype(int)).mean() > 10  # the watermark is visible
    assert g.buyer == "bob@example.com" and g.price_cents == 300 and g.offered
    out = tmp_path / "out"
    assert cli.main(["generate", "ada", "--prompt", PROMPT, "--seed", "3", "--buyer", "bob@example.com",
                     "--out", str(out), "--home", str(trained.home)]) == 0
    (file,) = out.glob("*.png")
    assert np.array_equal(_png(file), preview)  # the buyer's file is the preview, never the clean image


def test_an_output_too_close_to_a_training_item_is_flagged_and_not_offered(trained, portfolio_dir, monkeypatch):
    first = Image.open(sorted(portfolio_dir.glob("*.png"))[0])
    refs = {"itm_a": inference.phash(first), "itm_b": inference.phash(Image.open(sorted(portfolio_dir.glob("*.png"))[1]))}
    nudged = Image.fromarray(np.clip(np.asarray(first).astype(int) + 6, 0, 255).astype("uint8"))
    assert "itm_a" in inference.memorisation_flag(inference.phash(nudged), refs)
    noise = Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    assert inference.memorisation_flag(inference.phash(noise), refs) is None
    # through generate: with the threshold at its widest, every output counts as a copy
    monkeypatch.setattr(inference, "MEMORISED_BITS", 64)
    (g,) = trained.generate("ada", PROMPT, seed=11)
    assert g.flagged and "too close to training item itm_" in g.flagged
    assert not g.offered and g.price_cents is None
    assert trained.ledger_events(subject=g.id)[0]["payload"]["flagged"] == g.flagged


def test_a_prompt_over_the_tokenizer_length_is_a_clear_error_and_records_nothing(trained):
    before = len(trained.generations())
    with pytest.raises(StudioError, match="over the model's limit of 77"):
        trained.generate("ada", " ".join(["a red circle"] * 40), seed=1)
    assert len(trained.generations()) == before


def test_a_disabled_model_makes_no_new_generations_and_hides_drafts(trained):
    (g,) = trained.generate("ada", PROMPT, seed=1)
    info = trained.disable_model("ada", reason="taking a break")
    assert info["drafts_hidden"] == 1
    assert [x.status for x in trained.generations("ada")] == ["hidden"]
    with pytest.raises(StudioError, match="disabled"):
        trained.generate("ada", PROMPT, seed=2)
    (event,) = trained.ledger_events(kind="model.disabled")
    assert event["payload"]["reason"] == "taking a break"


def test_generate_from_a_model_folder_or_the_base_alone_without_a_studio(trained, tmp_path, capsys):
    (v,) = trained.models("ada")
    out = tmp_path / "out"
    assert cli.main(["generate", "--model", str(v.path), "--prompt", PROMPT, "--seed", "7", "--out", str(out),
                     "--json", "--home", str(tmp_path / "unused")]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["id"] is None
    ada = trained.generate("ada", PROMPT, seed=7)[0]
    assert np.array_equal(_png(out / row["file"].split("/")[-1]), _png(trained.blobs.get(ada.sha256)))
    assert cli.main(["generate", "--model", v.manifest["base"]["path"], "--prompt", PROMPT, "--seed", "7",
                     "--out", str(tmp_path / "base"), "--home", str(tmp_path / "unused")]) == 0
    (base_file,) = (tmp_path / "base").glob("*.png")
    assert not np.array_equal(_png(base_file), _png(trained.blobs.get(ada.sha256)))  # the adapter matters
