"""The quality gate for text models: does the model write more like the creator than its base, and still to the brief?

    scores = score(blobs, version)              # what `QualityGate.score` stores for a text version
    scores = compare(model_texts, base_texts, briefs, reference, ...)   # the same measures on any texts
    passes(scores)

On the held-out briefs (the version's items with role ``holdout``; when too few samples were given to
hold any out, the training briefs against the whole portfolio) it writes ``seeds_per_prompt`` copies per
brief with the fine-tuned model and as many with its base, with the model's own decoding, and measures:

- **style distance** (:func:`studio.text.style.style_distance`) of each set of outputs to the creator's
  reference copy (the held-out samples, read from the blob store by sha256), with each side's content
  strings (the briefs' business names and audiences) masked, so naming the same bakery is not style;
- **brief following**: the share of outputs the world's checker (:func:`studio.text.checker.check`)
  passes, over the briefs that parse as world briefs (free-form briefs cannot be checked);
- **memorisation**: how many outputs the memorisation guard
  (:class:`studio.text.memorisation.MemorisationGuard` over the training copies) catches repeating a
  training sample word for word; reported, with a few of the spans, beside the rule (never offer those
  outputs; many of them mean the model copies rather than writes).

**The rule** (:func:`passes`): a text version passes iff

    style_distance_model < style_distance_base, by more than chance:
        the upper end of a 95% bootstrap interval of (model - base), resampling the briefs, is below 0
    and, when brief following is measurable (at least one brief is a world brief),
    brief_following_model >= brief_following_base - BRIEF_TOLERANCE (5 points)

that is, its outputs are closer to the creator's writing than the base's, and learning the style did
not cost more than five points of following the brief. The interval matters: a dozen briefs' style
distances differ by a few hundredths from one set of seeds to the next, so a model that barely moved
from its base would otherwise pass or fail by chance. (Scores stored before the interval was
measured are judged without it.)
"""

from __future__ import annotations

from collections.abc import Sequence

from studio.errors import StudioError
from studio.text import checker, style
from studio.text import inference as text_inference
from studio.text.memorisation import MemorisationGuard
from studio.text.world import Brief

BRIEF_TOLERANCE = 0.05  # brief following may drop by at most 5 points
FIRST_SEED = 10_000  # the gate's seeds: FIRST_SEED, FIRST_SEED + 1, ... (the image gate's too)
SPANS_KEPT = 3  # memorised spans kept in the scores, as examples
BOOTSTRAP = 200  # resamples of the briefs for the style difference's interval (seeded: the same texts, the same interval)


def passes(scores: dict) -> bool:
    """The rule (see the module docstring): closer in style than the base, brief following within 5 points."""
    if not scores["style_distance_model"] < scores["style_distance_base"]:
        return False
    if scores.get("style_difference_upper", -1.0) >= 0:  # closer, but not by more than chance
        return False
    model, base = scores.get("brief_following_model"), scores.get("brief_following_base")
    if model is None or base is None:  # no world briefs: brief following is not measurable
        return True
    return model["pass_rate"] >= base["pass_rate"] - BRIEF_TOLERANCE - 1e-9


def score_rows(scores: dict) -> list[tuple[str, str]]:
    """A text version's scores as (label, value) lines for a person (the CLI, the gallery, refusals)."""
    rows = [("style distance to the creator's writing (model / base)",
             f"{scores['style_distance_model']} / {scores['style_distance_base']}")]
    if "style_difference_upper" in scores:
        rows.append(("style difference, model - base (95% interval over briefs)",
                     f"{scores['style_difference_lower']:+.3f} to {scores['style_difference_upper']:+.3f}"))
    model, base = scores.get("brief_following_model"), scores.get("brief_following_base")
    if model is not None and base is not None:
        rows.append((f"brief following, model / base (checker, n={model['n']})",
                     f"{model['pass_rate']:.0%} / {base['pass_rate']:.0%}"))
    else:
        rows.append(("brief following", "not measurable (no briefs in the copywriting world's form)"))
    if "memorised_model" in scores:
        rows.append((f"outputs repeating a training sample (model / base, of {scores['outputs']} each)",
                     f"{scores['memorised_model']} / {scores['memorised_base']}"))
    return rows


def content_of(briefs: Sequence[str | None]) -> list[str]:
    """The content strings of brief lines (business names and audiences): masked before style is compared."""
    out = []
    for line in briefs:
        b = text_inference.parsed_brief(line)
        if b is not None:
            out += [b.business, b.audience]
    return sorted(set(out))


def brief_following(briefs: Sequence[Brief | None], texts: Sequence[str]) -> dict | None:
    """The checker's pass rate over the outputs whose brief is a world brief; None if there are none."""
    checked = [checker.check(b, t).passed for b, t in zip(briefs, texts) if b is not None]
    return {"n": len(checked), "pass_rate": round(sum(checked) / len(checked), 4)} if checked else None


def style_difference_interval(model_texts: Sequence[str], base_texts: Sequence[str], briefs: Sequence[str | None],
                              reference: dict, content: list[str], resamples: int = BOOTSTRAP) -> tuple[float, float]:
    """A 95% percentile-bootstrap interval of the style distance of the model's outputs minus the base's to the
    ``reference`` profile (`studio.text.style.style_profile`), resampling the briefs (all of a brief's outputs,
    the model's and the base's together)."""
    import numpy as np

    def distance(texts: Sequence[str], idx: list[int]) -> float:
        return style.profile_distance(style.style_profile([texts[i] for i in idx], content), reference).total

    groups: dict = {}
    for i, b in enumerate(briefs):
        groups.setdefault(b, []).append(i)
    keys = list(groups)
    rng = np.random.default_rng(0)
    diffs = []
    for _ in range(resamples):
        idx = [i for k in rng.integers(0, len(keys), len(keys)) for i in groups[keys[k]]]
        diffs.append(distance(model_texts, idx) - distance(base_texts, idx))
    lower, upper = np.percentile(diffs, [2.5, 97.5])
    return round(float(lower), 4), round(float(upper), 4)


def compare(model_texts: Sequence[str], base_texts: Sequence[str], briefs: Sequence[str | None],
            reference: Sequence[str], reference_briefs: Sequence[str | None], training: Sequence[str]) -> dict:
    """The gate's measures on given texts (no models): the model's and the base's outputs (``briefs[i]`` is
    the brief line output ``i`` was written for), the creator's ``reference`` copy (written for
    ``reference_briefs``), and the ``training`` copies the memorisation guard looks for. With ``passed``."""
    if not model_texts or len(model_texts) != len(base_texts) or len(model_texts) != len(briefs):
        raise ValueError("compare needs as many model and base outputs as brief lines, at least one")
    if not reference:
        raise ValueError("compare needs at least one reference text of the creator's")
    content, ref_content = content_of(briefs), content_of(reference_briefs)
    ref_profile = style.style_profile(list(reference), ref_content)  # once: the bootstrap compares with it too
    d_model = style.profile_distance(style.style_profile(list(model_texts), content), ref_profile)
    d_base = style.profile_distance(style.style_profile(list(base_texts), content), ref_profile)
    parsed = [text_inference.parsed_brief(b) for b in briefs]
    guard = MemorisationGuard(training)
    caught = [t for t in model_texts if guard.flags(t)]
    scores = {
        "kind": "text",
        "style_distance_model": d_model.total, "style_distance_base": d_base.total,
        "style_parts_model": d_model.parts, "style_parts_base": d_base.parts,
        "brief_following_model": brief_following(parsed, model_texts),
        "brief_following_base": brief_following(parsed, base_texts),
        "memorised_model": len(caught), "memorised_base": sum(guard.flags(t) for t in base_texts),
        "memorised_spans": list(dict.fromkeys(s.text for t in caught for s in guard.spans(t)))[:SPANS_KEPT],
        "outputs": len(model_texts),
        "reference_texts": len(reference),
    }
    scores["style_difference_lower"], scores["style_difference_upper"] = style_difference_interval(
        model_texts, base_texts, briefs, ref_profile, content)
    scores["passed"] = passes(scores)
    return scores


def generate(folder_or_base, prompts: Sequence[str | None], seeds: Sequence[int], *, base: bool = False,
             **settings) -> list[str]:
    """Every prompt written once per seed (one batch per seed), in the order prompt-major:
    ``[p0 s0, p0 s1, ..., p1 s0, ...]``. ``folder_or_base`` is a trained folder, or a base's name/path."""
    model, tokenizer = (text_inference.load(base=folder_or_base) if base else text_inference.load(folder_or_base))
    by_seed = [text_inference.write(model, tokenizer, list(prompts), seed=s, **settings) for s in seeds]
    return [by_seed[k][i] for i in range(len(prompts)) for k in range(len(seeds))]


def score(blobs, v, seeds_per_prompt: int = 4, max_prompts: int = 8) -> dict:
    """Score text version ``v`` (a `VersionView`) against its base; the caller stores the result."""
    items = [i for i in v.manifest["items"] if i["sha256"] in blobs]
    if not items:
        raise StudioError("the model's writing samples are no longer in the blob store; cannot score it")
    copy = {i["sha256"]: blobs.get(i["sha256"]).decode("utf-8").strip() for i in items}
    held = [i for i in items if i["role"] == "holdout"][:max_prompts]
    if held:  # each held-out brief; the creator's held-out copy is the reference
        prompts, source, ref_items = [i["caption"] for i in held], "held-out briefs", held
    else:  # too few samples to hold any out: training briefs, against the whole portfolio
        prompts = list(dict.fromkeys(i["caption"] for i in items))[:max_prompts]
        source, ref_items = "training briefs (too few samples to hold any out)", items
    seeds = [FIRST_SEED + k for k in range(seeds_per_prompt)]
    model_texts = generate(v.path, prompts, seeds)
    base_texts = generate(text_inference.base_name(v.manifest), prompts, seeds, base=True)
    training = [copy[i["sha256"]] for i in items if i["role"] == "train"]
    scores = compare(model_texts, base_texts, [p for p in prompts for _ in seeds],
                     [copy[i["sha256"]] for i in ref_items], [i["caption"] for i in ref_items], training)
    scores.update(prompts=len(prompts), seeds=len(seeds), prompt_source=source,
                  images=scores["outputs"])  # "images": the count displays written for image scores show
    return scores
