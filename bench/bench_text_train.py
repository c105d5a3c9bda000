"""Choose the text training defaults on the tuning writers, then report on the held-out writers.

    OMP_NUM_THREADS=1 python bench/bench_text_train.py [--n 40] [--test-n 12] [--seeds 3]
        [--steps 50,100,150,200] [--ranks 16] [--lrs 1e-3,3e-3] [--base FOLDER] [--json chosen.json]

(a) **Choosing** (`studio.samples.writers.TUNING` writers only): for every rank and learning rate of
the grid, one LoRA run per tuning writer on their ``--n``-sample portfolio (batch 8, the other knobs
at `TextTrainConfig`'s defaults), with checkpoints at every step count of the grid (the schedule is
warm-up then constant and the batches come from the run's own seeded stream, so the checkpoint at
step 50 of a 150-step run *is* the 50-step run). Each (steps, rank, lr) is measured as the quality
gate measures a version (`studio.quality.text_gate.compare`): ``--seeds`` copies per brief for
``--test-n`` of the writer's held-out briefs, by the model and by the base, against the writer's own
copy for them. The chosen defaults are those whose models pass the gate's rule for the most tuning
writers; ties go to the lowest mean style ratio (model / base) plus the brief following lost beyond
the gate's 5-point tolerance, then to fewer steps and a lower rank. Settings whose estimated training
time on ``--n`` samples is over 3 minutes are not chosen.

(b) **Reporting** (`HELD_OUT` writers, never used in (a)): with the chosen defaults, a fresh run per
held-out writer exactly as a creator's run goes (previews and checkpoints at their defaults), timed,
then scored the same way; and the time of four previews (`studio.text.inference.write` of 4 briefs,
model loaded, median of ``--repeats``).

Targets: style distance ratio model / base <= 0.6; brief following of the model within 5 points of
the base's; training on 40 samples < 3 min; four previews < 1 s. Everything printed is measured on this
run, on this machine. Timings are given twice: wall-clock, and the process's CPU seconds, which on one
torch thread are what the same work takes on a free core (on a shared machine the wall-clock is longer;
the load average is printed). The 3-minute rule of (a) uses the CPU seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BATCH = 8
TRAIN_BUDGET_S = 180.0
PREVIEW_BUDGET_S = 1.0
RATIO_TARGET = 0.6


def examples(pairs) -> list:
    """A writer's (brief, copy) pairs as training examples, as a portfolio of theirs would give them."""
    from studio.text.inference import brief_line
    from studio.training.text_data import TextExample

    return [TextExample(c, brief_line(b), hashlib.sha256(c.encode()).hexdigest(), source=f"sample-{i:03d}")
            for i, (b, c) in enumerate(pairs)]


def test_set(name: str, n: int):
    """The writer's held-out briefs (lines) and their own copy for them."""
    from studio.samples import writers
    from studio.text.inference import brief_line

    pairs = writers.held_out_samples(name, n, seed=0)
    return [brief_line(b) for b, _ in pairs], [c for _, c in pairs]


def measure(folder, lines, reference, training, base_texts, seeds) -> dict:
    """The gate's measures for one model folder on one writer's held-out briefs."""
    from studio.quality import text_gate

    model_texts = text_gate.generate(folder, lines, seeds)
    jobs = [line for line in lines for _ in seeds]
    s = text_gate.compare(model_texts, base_texts, jobs, reference, lines, training)
    s["ratio"] = round(s["style_distance_model"] / s["style_distance_base"], 4)
    s["bf_delta"] = round(s["brief_following_model"]["pass_rate"] - s["brief_following_base"]["pass_rate"], 4)
    s["example"] = model_texts[0]
    return s


def checkpoint_model(out: Path, step: int, final_step: int) -> Path:
    """A checkpoint as a loadable text model folder (its adapter, with the final folder's config and manifest)."""
    from studio.text.inference import ADAPTER_NAME, MANIFEST_NAME

    if step == final_step:
        return out
    ckpt = out / f"checkpoint-{step}"
    folder = out.parent / f"{out.name}-at-{step}"
    folder.mkdir(exist_ok=True)
    shutil.copy(ckpt / ADAPTER_NAME, folder / ADAPTER_NAME)
    for name in ("adapter_config.json", MANIFEST_NAME):
        shutil.copy(out / name, folder / name)
    return folder


def grid_run(name: str, rank: int, lr: float, steps: list[int], args, work: Path, base_texts: dict) -> list[dict]:
    """One run to max(steps) for a tuning writer, measured at every step count of the grid."""
    from studio.samples import writers
    from studio.text.inference import forget_models
    from studio.training import text_lora
    from studio.training.config import TextTrainConfig

    every = math.gcd(*steps)
    cfg = TextTrainConfig(steps=max(steps), rank=rank, lr=lr, batch_size=BATCH, checkpoint_every=every,
                          keep_checkpoints=max(steps) // every, sample_every=0, threads=1, **base_option(args))
    pairs = writers.portfolio(name, args.n, seed=0)
    out = work / f"{name}-r{rank}-lr{lr:g}"
    cpu0 = time.process_time()
    result = text_lora.train(cfg, examples(pairs), out)
    cpu_per_step = (time.process_time() - cpu0) / max(steps)  # one thread: CPU seconds = seconds on a free core
    metrics = result["manifest"]["metrics"]
    lines, reference = test_set(name, args.test_n)
    training = [c for _, c in pairs]
    curve, stride = metrics["loss_curve"], max(1, max(steps) // 200)  # the manifest keeps at most ~200 points
    rows = []
    for s in steps:
        scores = measure(checkpoint_model(out, s, max(steps)), lines, reference, training, base_texts[name],
                         args.seed_list)
        rows.append(dict(writer=name, steps=s, rank=rank, lr=lr, est_train_s=round(s * cpu_per_step, 1),
                         loss=round(statistics.mean(curve[max(0, (s - 20) // stride):max(1, s // stride)]), 3), **scores))
    forget_models()
    return rows


def choose(rows: list[dict], steps: list[int], ranks: list[int], lrs: list[float]) -> tuple[dict, list[dict]]:
    """The grid summarised per setting (over the tuning writers) and the chosen setting (see the docstring)."""
    from studio.quality.text_gate import BRIEF_TOLERANCE

    table = []
    for s in steps:
        for r in ranks:
            for lr in lrs:
                mine = [x for x in rows if (x["steps"], x["rank"], x["lr"]) == (s, r, lr)]
                if not mine:
                    continue
                ratio = statistics.mean(x["ratio"] for x in mine)
                lost = statistics.mean(max(0.0, -x["bf_delta"] - BRIEF_TOLERANCE) for x in mine)
                table.append(dict(steps=s, rank=r, lr=lr, writers=len(mine), passed=sum(x["passed"] for x in mine),
                                  ratio=round(ratio, 4), bf_delta=round(statistics.mean(x["bf_delta"] for x in mine), 4),
                                  bf_lost_beyond_tolerance=round(lost, 4), memorised=sum(x["memorised_model"] for x in mine),
                                  est_train_s=max(x["est_train_s"] for x in mine)))
    fits = [t for t in table if t["est_train_s"] <= TRAIN_BUDGET_S] or table
    best = min(fits, key=lambda t: (-t["passed"], round(t["ratio"] + t["bf_lost_beyond_tolerance"], 4), t["steps"],
                                    t["rank"]))
    return best, table


def report_writer(name: str, chosen: dict, args, work: Path) -> dict:
    """A held-out writer: a creator's run with the chosen defaults, timed, then scored like the gate."""
    from studio.quality import text_gate
    from studio.samples import writers
    from studio.text.inference import forget_models
    from studio.training import text_lora
    from studio.training.config import TextTrainConfig

    pairs = writers.portfolio(name, args.n, seed=0)
    cfg = TextTrainConfig(steps=chosen["steps"], rank=chosen["rank"], lr=chosen["lr"], batch_size=BATCH, threads=1,
                          **base_option(args))
    out = work / f"heldout-{name}"
    t0, cpu0 = time.perf_counter(), time.process_time()
    text_lora.train(cfg, examples(pairs), out)
    seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - cpu0
    lines, reference = test_set(name, args.test_n)
    base_texts = text_gate.generate(args.base or "studio-tiny-text", lines, args.seed_list, base=True)
    s = measure(out, lines, reference, [c for _, c in pairs], base_texts, args.seed_list)
    row = dict(writer=name, n_train_samples=args.n, n_test_briefs=len(lines),
               train_s=round(seconds, 1), train_cpu_s=round(cpu_seconds, 1),
               **preview_time(out, lines[:4], args.repeats), **s)
    forget_models()
    return row


def preview_time(folder: Path, briefs: list[str], repeats: int) -> dict:
    """Seconds of one `write` of 4 briefs with the model loaded (after one warm-up): wall-clock and CPU, medians."""
    from studio.text.inference import load, write

    model, tokenizer = load(folder)
    write(model, tokenizer, briefs, seed=0)
    times, cpu = [], []
    for k in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        write(model, tokenizer, briefs, seed=1 + k)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {"preview_4_s": round(statistics.median(times), 3), "preview_4_cpu_s": round(statistics.median(cpu), 3)}


def base_option(args) -> dict:
    """``base=`` for TextTrainConfig when ``--base`` names another base (a folder), else nothing (the default)."""
    return {"base": args.base} if args.base else {}


def floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=40, help="writing samples in each writer's portfolio")
    p.add_argument("--test-n", type=int, default=12, help="held-out briefs per writer")
    p.add_argument("--seeds", type=int, default=3, help="copies per held-out brief (model and base each)")
    p.add_argument("--steps", default="50,100,150,200", help="step counts of the grid (one run to the largest)")
    p.add_argument("--ranks", default="16")
    p.add_argument("--lrs", default="1e-3,3e-3")
    p.add_argument("--tuning", default=None, help="tuning writers (default: writers.TUNING); never held-out ones")
    p.add_argument("--repeats", type=int, default=5, help="timed preview batches")
    p.add_argument("--base", default=None, help="a text base folder (default: the embedded studio-tiny-text)")
    p.add_argument("--skip-report", action="store_true", help="choose only; no held-out report")
    p.add_argument("--json", default=None, help="write the chosen defaults and every figure here")
    args = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped: still remove the work folder

    import torch

    from studio.models.bases import quiet_libraries
    from studio.quality import text_gate
    from studio.samples import writers
    from studio.training.config import TextTrainConfig

    quiet_libraries()
    torch.set_num_threads(1)
    steps, ranks, lrs = [int(x) for x in floats(args.steps)], [int(x) for x in floats(args.ranks)], floats(args.lrs)
    tuning = args.tuning.split(",") if args.tuning else list(writers.TUNING)
    if set(tuning) & set(writers.HELD_OUT):
        p.error("held-out writers may not be used to choose defaults")
    args.seed_list = [text_gate.FIRST_SEED + k for k in range(args.seeds)]
    current = TextTrainConfig()
    t_start = time.time()
    work = Path(tempfile.mkdtemp(prefix="bench-text-train-"))
    try:
        # --- (a) choose on the tuning writers --------------------------------------------------------------------
        base_texts = {name: text_gate.generate(args.base or "studio-tiny-text", test_set(name, args.test_n)[0],
                                               args.seed_list, base=True) for name in tuning}
        rows = []
        for name in tuning:
            for rank in ranks:
                for lr in lrs:
                    t0 = time.time()
                    got = grid_run(name, rank, lr, steps, args, work, base_texts)
                    rows += got
                    print(f"[grid] {name} rank {rank} lr {lr:g}: " + "; ".join(
                        f"{r['steps']} steps ratio {r['ratio']} bf {r['brief_following_model']['pass_rate']:.0%}/"
                        f"{r['brief_following_base']['pass_rate']:.0%} {'PASS' if r['passed'] else 'fail'}"
                        for r in got) + f" ({time.time() - t0:.0f} s)", flush=True)
                    shutil.rmtree(work / f"{name}-r{rank}-lr{lr:g}", ignore_errors=True)
                    for extra in work.glob(f"{name}-r{rank}-lr{lr:g}-at-*"):
                        shutil.rmtree(extra, ignore_errors=True)
        chosen, table = choose(rows, steps, ranks, lrs)
        print("\n(a) grid on the tuning writers " + ", ".join(tuning) + f" (n={args.n} samples each, "
              f"{args.test_n} held-out briefs x {args.seeds} seeds):")
        print(f"{'steps':>5} {'rank':>4} {'lr':>7} {'passed':>6} {'ratio':>6} {'bf delta':>8} {'memorised':>9} {'est s':>6}")
        for t in table:
            print(f"{t['steps']:>5} {t['rank']:>4} {t['lr']:>7g} {t['passed']:>3}/{t['writers']:<2} {t['ratio']:>6.3f} "
                  f"{t['bf_delta']:>+8.1%} {t['memorised']:>9} {t['est_train_s']:>6.0f}")
        defaults = {"steps": chosen["steps"], "rank": chosen["rank"], "lr": chosen["lr"], "batch_size": BATCH}
        now = {"steps": current.steps, "rank": current.rank, "lr": current.lr, "batch_size": current.batch_size}
        print(f"\nchosen defaults: {defaults}" + ("  (the same as TextTrainConfig's)" if defaults == now
                                                  else f"  (TextTrainConfig now: {now})"), flush=True)
        res = dict(tuning=tuning, grid=table, chosen=defaults, current=now)

        # --- (b) report on the held-out writers ----------------------------------------------------------------
        if not args.skip_report:
            report = [report_writer(name, chosen, args, work) for name in writers.HELD_OUT]
            print(f"\n(b) held-out writers with the chosen defaults (n={args.n} training samples, {args.test_n} "
                  f"briefs x {args.seeds} seeds = {args.test_n * args.seeds} outputs per writer and model):")
            print(f"{'writer':<10} {'style m/b':>13} {'ratio':>6} {'brief following m/b':>20} {'gate':>5} "
                  f"{'memorised':>9} {'train s wall/cpu':>16} {'4 previews s wall/cpu':>21}")
            for r in report:
                bm, bb = r["brief_following_model"]["pass_rate"], r["brief_following_base"]["pass_rate"]
                print(f"{r['writer']:<10} {r['style_distance_model']:>6.3f}/{r['style_distance_base']:<6.3f} "
                      f"{r['ratio']:>6.3f} {bm:>10.0%} / {bb:<7.0%} {'PASS' if r['passed'] else 'fail':>5} "
                      f"{r['memorised_model']:>9} {r['train_s']:>8.1f}/{r['train_cpu_s']:<7.1f} "
                      f"{r['preview_4_s']:>11.3f}/{r['preview_4_cpu_s']:<9.3f}")
                print(f"{'':<10} e.g. {r['example'][:110]!r}")
            ratio = statistics.mean(r["ratio"] for r in report)
            delta = statistics.mean(r["bf_delta"] for r in report)
            train_s, train_cpu = max(r["train_s"] for r in report), max(r["train_cpu_s"] for r in report)
            preview_s, preview_cpu = max(r["preview_4_s"] for r in report), max(r["preview_4_cpu_s"] for r in report)
            res["held_out"] = report
            res["summary"] = dict(
                ratio_mean=round(ratio, 4), ratio_target=RATIO_TARGET, ratio_met=ratio <= RATIO_TARGET,
                writers_at_ratio_target=sum(r["ratio"] <= RATIO_TARGET for r in report),
                bf_delta_mean=round(delta, 4), bf_within_5_points=sum(r["bf_delta"] >= -0.05 for r in report),
                gate_passed=sum(r["passed"] for r in report), writers=len(report),
                train_s_max=train_s, train_cpu_s_max=train_cpu, train_met_wall=train_s < TRAIN_BUDGET_S,
                train_met_cpu=train_cpu < TRAIN_BUDGET_S, preview_4_s_max=preview_s, preview_4_cpu_s_max=preview_cpu,
                preview_met_wall=preview_s < PREVIEW_BUDGET_S, preview_met_cpu=preview_cpu < PREVIEW_BUDGET_S)
            print("\nsummary: " + json.dumps(res["summary"]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    res["seconds"] = round(time.time() - t_start)
    res["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(f"\ntotal {res['seconds']} s; load average now {res['load_average']} on {os.cpu_count()} cores")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2, default=str))
    return res


if __name__ == "__main__":
    main()
