"""`studio train`, `studio generate` and `studio model ...` (registered by studio.cli)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from studio.cli_helpers import add_dataclass_options, dataclass_options, open_studio
from studio.errors import StudioError
from studio.quality.gate import score_rows
from studio.training.config import TextTrainConfig, TrainConfig


def register(sub, common) -> None:
    p = sub.add_parser("train", parents=[common], help="train a creator's model (LoRA) or a model from a folder",
                       description="Train on a creator's consented portfolio (HANDLE), or on a folder (PORTFOLIO_DIR "
                                   "--out MODEL_DIR) of images with same-name .txt captions or metadata.jsonl, or of "
                                   "writing samples (.txt files, or .jsonl files of {\"brief\", \"copy\"} lines) "
                                   "for a text model.")
    p.add_argument("target", metavar="HANDLE|PORTFOLIO_DIR")
    p.add_argument("--out", type=Path, default=None, help="model folder (required when training on a folder)")
    p.add_argument("--kind", choices=["auto", "image", "text"], default=None,
                   help="image or text model (default: what the portfolio or folder holds)")
    add_dataclass_options(p, TrainConfig)
    add_dataclass_options(p, TextTrainConfig, skip=tuple(f.name for f in dataclasses.fields(TrainConfig)))
    text_defaults(p)
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint of a stopped run")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("generate", parents=[common], help="generate images (or texts, from a text model: --prompt is "
                                                          "the brief) from a creator's model or a model folder")
    p.add_argument("handle", nargs="?", default=None)
    p.add_argument("--model", default=None,
                   help="a trained model folder, or a base alone (studio-tiny-v2, the default, or a diffusers folder)")
    p.add_argument("--prompt", required=True)
    p.add_argument("-n", type=int, default=1, help="images (seeds SEED..SEED+N-1)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--buyer", default=None, help="a buyer's email: writes watermarked previews")
    p.add_argument("--version", default=None, help="model version id or number (default: newest; buyers: published)")
    p.add_argument("--out", type=Path, required=True, help="folder for the PNG files")
    p.set_defaults(func=cmd_generate)

    group = sub.add_parser("model", help="a creator's model: versions, quality gate, publish, price, disable")
    model = group.add_subparsers(dest="action", required=True)
    group.subcommands = model  # the marketplace area adds publish, price, disable, enable and listing
    p = model.add_parser("list", parents=[common], help="list model versions with their scores")
    p.add_argument("handle")
    p.set_defaults(func=cmd_model_list)
    p = model.add_parser("gate", parents=[common], help="run the quality gate on a version")
    p.add_argument("handle")
    p.add_argument("--version", default=None)
    p.set_defaults(func=cmd_model_gate)


def text_defaults(parser) -> None:
    """Say a shared flag's text-model default in its help, where it differs from the image one."""
    from studio.options import default_of

    image = {f.name: default_of(f) for f in dataclasses.fields(TrainConfig)}
    for f in dataclasses.fields(TextTrainConfig):
        action = next((a for a in parser._actions if a.dest == f.name), None)
        if action is not None and f.name in image and default_of(f) != image[f.name] and action.help:
            action.help += f" (text models: {default_of(f)})"


def folder_kind(folder: Path, asked: str | None) -> str:
    """image or text for training on a plain folder: as asked, else text only if it holds no image."""
    from studio.portfolio.intake import IMAGE_FORMATS

    if asked in ("image", "text"):
        return asked
    images = any(p.suffix.lower() in IMAGE_FORMATS for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    return "image" if images else "text"


class TerminalProgress:
    """Training events -> a tqdm bar on stderr, sample grids saved under MODEL_DIR/samples/."""

    def __init__(self, out_dir: Path | None, quiet_stdout: bool):
        self.out_dir = out_dir
        self.quiet = quiet_stdout
        self.bar = None

    def say(self, line: str) -> None:
        if self.bar is not None:
            self.bar.write(line, file=sys.stderr if self.quiet else sys.stdout)
        else:
            print(line, file=sys.stderr if self.quiet else sys.stdout, flush=True)

    def __call__(self, e) -> None:
        from tqdm.auto import tqdm

        if e.kind == "start":
            self.out_dir = self.out_dir or (Path(e.path) if e.path else None)
            self.say(f"training {e.path}: {e.message}")
            self.bar = tqdm(total=e.total, initial=e.step, unit="step", file=sys.stderr, dynamic_ncols=True)
        elif e.kind == "resumed":
            if self.bar is not None:
                self.bar.n = e.step
                self.bar.refresh()
            self.say(e.message)
        elif e.kind == "step":
            self.bar.n = e.step
            self.bar.set_postfix(loss=f"{e.loss:.4f}", refresh=False)
            self.bar.refresh()
        elif e.kind == "samples" and e.path is None and self.out_dir is not None:
            from studio.training.export import image_grid

            folder = self.out_dir / "samples"
            folder.mkdir(parents=True, exist_ok=True)
            if e.texts:
                (folder / f"step-{e.step:06d}.txt").write_text(
                    "\n\n".join(f"{p}\n-> {t}" for p, t in zip(e.prompts, e.texts)) + "\n")
            else:
                image_grid(e.images).save(folder / f"step-{e.step:06d}.png")
        elif e.kind == "checkpoint":
            self.say(f"checkpoint at step {e.step}: {e.path}")
        elif e.kind in ("done", "cancelled"):
            if self.bar is not None:
                self.bar.close()
                self.bar = None
            if e.kind == "cancelled":
                self.say(e.message)


def given(cls) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def cmd_train(args, out) -> int:
    folder = Path(args.target)
    if folder.is_dir():
        if args.out is None:
            raise StudioError("training on a folder needs --out MODEL_DIR")
        kind = folder_kind(folder, args.kind)
        skipped: list[str] = []
        progress = TerminalProgress(args.out, out.as_json)
        options = dataclass_options(args, TextTrainConfig if kind == "text" else TrainConfig)
        options.setdefault("name", args.out.resolve().name)
        if kind == "text":
            from studio.training import text_data, text_lora

            image_only = sorted(f for f in given(TrainConfig) - given(TextTrainConfig) if getattr(args, f) is not None)
            if image_only:
                raise StudioError(f"{', '.join('--' + f.replace('_', '-') for f in image_only)}: for image models only")
            cfg = TextTrainConfig(**options)
            examples = text_data.from_folder(folder, skipped=skipped)
            train = text_lora.train
        else:
            from studio.models.bases import default_base
            from studio.training import data, lora

            options.setdefault("base", default_base())
            cfg = TrainConfig(**options)
            examples = data.from_folder(folder, cfg.trigger, skipped=skipped)
            train = lora.train
        for line in skipped:
            out.warn(f"skipped {line}")
        result = train(cfg, examples, args.out, on_event=progress, resume=args.resume)
        m = result.get("manifest", {}).get("metrics", {})
        out.emit({"status": result["status"], "path": str(args.out.resolve()), "step": result["step"], "metrics": m},
                 f"model saved to {args.out} ({m.get('steps')} steps, final loss {m.get('final_loss')}, "
                 f"{m.get('seconds')} s)" if result["status"] == "done" else None)
        return 0
    if args.out is not None:
        raise StudioError(f"{args.target} is not a folder; --out is only for training on a folder "
                          "(a creator's models live in the studio home)")
    st = open_studio(args)
    handle = args.target
    progress = TerminalProgress(None, out.as_json)
    options = {f: getattr(args, f) for f in {*given(TrainConfig), *given(TextTrainConfig)} if getattr(args, f) is not None}
    v = st.train(handle, on_event=progress, resume=args.resume, kind=args.kind, **options)
    if v is None:
        return 1
    data = {"version": v.id, "number": v.number, "path": str(v.path), "metrics": v.metrics}
    out.emit(data, f"{handle}: version {v.number} trained ({v.metrics.get('steps')} steps, final loss "
                   f"{v.metrics.get('final_loss')}, {v.metrics.get('seconds')} s) -> {v.path}\n"
                   f"next: `studio model gate {handle}` then `studio model publish {handle}`")
    return 0


def cmd_generate(args, out) -> int:
    from studio import inference

    args.out.mkdir(parents=True, exist_ok=True)
    if args.handle is None:
        if args.buyer:
            raise StudioError("--buyer needs a creator HANDLE (buyers generate from published models)")
        from studio.models.bases import default_base

        model = args.model or default_base()
        path = Path(model)
        if (path / "training_manifest.json").is_file():
            pipe = inference.pipeline(path)
        else:
            pipe = inference.pipeline(None, base=model)
        import secrets

        seed = secrets.randbelow(2**31) if args.seed is None else args.seed
        if not 1 <= args.n <= 64:
            raise StudioError(f"-n must be between 1 and 64, not {args.n}")
        inference.check_prompt(pipe, args.prompt)
        rows = []
        seeds = list(range(seed, seed + args.n))
        for s, img in zip(seeds, inference.render_many(pipe, args.prompt, seeds)):
            file = args.out / f"{inference.slug(args.prompt)}-{s}.png"
            img.save(file)
            rows.append({"id": None, "seed": s, "file": str(file)})
        out.emit(rows, "\n".join(r["file"] for r in rows))
        return 0
    if args.model is not None:
        raise StudioError("give either a creator HANDLE or --model MODEL_DIR, not both")
    st = open_studio(args)
    gens = st.generate(args.handle, args.prompt, n=args.n, seed=args.seed, buyer=args.buyer, version_id=args.version)
    text = bool(gens) and st.model_version(args.handle, gens[0].model_version_id).manifest.get("kind") == "text"
    rows = []
    for g in gens:
        file = args.out / f"{inference.slug(g.prompt)}-{g.seed}.{'txt' if text else 'png'}"
        file.write_bytes(st.blobs.get(g.preview_sha256 if args.buyer else g.sha256))
        rows.append({"id": g.id, "seed": g.seed, "file": str(file), "preview": bool(args.buyer),
                     "flagged": g.flagged, "price_cents": g.price_cents})
    out.emit(rows, "\n".join(f"{r['id']}  {r['file']}" + (f"  FLAGGED: {r['flagged']}" if r["flagged"] else "")
                             for r in rows))
    return 0


def version_dict(v) -> dict:
    return {"id": v.id, "number": v.number, "status": v.status, "model_status": v.model_status, "path": str(v.path),
            "base": v.base_model, "trigger": v.trigger, "scores": v.scores, "steps": v.metrics.get("steps"),
            "final_loss": v.metrics.get("final_loss"), "created_at": v.created_at}


def cmd_model_list(args, out) -> int:
    rows = [version_dict(v) for v in open_studio(args).models(args.handle)]
    out.emit(rows, "\n".join(
        f"v{r['number']:<3} {r['id']}  {r['status']:<9} model {r['model_status']:<9} "
        + (f"gate {'passed' if r['scores'] and r['scores'].get('passed') else 'FAILED'}" if r["scores"] else "not scored")
        for r in rows) or "no models yet")
    return 0


def cmd_model_gate(args, out) -> int:
    scores = open_studio(args).quality_gate(args.handle, args.version)
    text = "\n".join(f"{label}: {value}" for label, value in score_rows(scores))
    out.emit(scores, text + f"\n-> {'PASSED' if scores['passed'] else 'FAILED'}")
    return 0 if scores["passed"] else 1


