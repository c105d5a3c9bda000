"""Text: the copywriting world, its checker, the embedded text base and what guards its output.

- ``world`` / ``lexicon``: briefs (kind, business, audience, tone) and copy that satisfies them;
- ``checker``: does a text follow its brief, by the world's own rules;
- ``base``: the embedded studio-tiny-text (``LlamaForCausalLM``), loading and generation;
- ``watermark``: a per-model green-list watermark (a ``LogitsProcessor``) and its detector;
- ``memorisation``: flags outputs that repeat a training sample's long spans word for word;
- ``style``: style features of writing and a standardised style distance between sets of texts;
- ``build/``: reproduces the base (never imported by the runtime).
"""
