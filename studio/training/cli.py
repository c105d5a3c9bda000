"""`studio train`, `studio generate` and `studio model ...` (registered by studio.cli)."""

from __future__ import annotations

import sys
from pathlib import Path

from studio.cli_helpers import add_dataclass_options, dataclass_options, open_studio
from studio.errors import StudioError
from studio.quality.gate import score_rows
from studio.training.config import TrainConfig


def register(sub, common) -> None:
    p = sub.add_parser("train", parents=[common], help="train a creator's model (LoRA) or a model from a folder",
                       description="Train on a creator's consented portfolio (HANDLE), or on a folder of images with "
                                   "same-name .txt captions or metadata.jsonl (PORTFOLIO_DIR --out MODEL_DIR).")
    p.add_argument("target", metavar="HANDLE|PORTFOLIO_DIR")
    p.add_argument("--out", type=Path, default=None, help="model folder (required when training on a folder)")
    add_dataclass_options(p, TrainConfig)
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint of a stopped run")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("generate", parents=[common], help="generate images from a creator's model or a model folder")
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
            image_grid(e.images).save(folder / f"step-{e.step:06d}.png")
        elif e.kind == "checkpoint":
            self.say(f"checkpoint at step {e.step}: {e.path}")
        elif e.kind in ("done", "cancelled"):
            if self.bar is not None:
                self.bar.close()
                self.bar = None
            if e.kind == "cancelled":
                self.say(e.message)


def cmd_train(args, out) -> int:
    folder = Path(args.target)
    options = dataclass_options(args, TrainConfig)
    if folder.is_dir():
        from studio.models.bases import default_base
        from studio.training import data, lora

        if args.out is None:
            raise StudioError("training on a folder needs --out MODEL_DIR")
        options.setdefault("base", default_base())
        options.setdefault("name", args.out.resolve().name)
        cfg = TrainConfig(**options)
        skipped: list[str] = []
        examples = data.from_folder(folder, cfg.trigger, skipped=skipped)
        for line in skipped:
            out.warn(f"skipped {line}")
        progress = TerminalProgress(args.out, out.as_json)
        result = lora.train(cfg, examples, args.out, on_event=progress, resume=args.resume)
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
    v = st.train(handle, on_event=progress, resume=args.resume, **options)
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
    rows = []
    for g in gens:
        file = args.out / f"{inference.slug(g.prompt)}-{g.seed}.png"
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


