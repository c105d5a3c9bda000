"""A creator's model versions in the studio home: folders, rows and the `model.trained` event.

Invariant: a version folder ``HOME/models/HANDLE/vN`` belongs to exactly one training run.
`reserve` creates it with an exclusive ``mkdir``, so two runs at once (threads or processes)
always get two different folders; `record` turns a finished folder into a version row and
its ledger event in one transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from studio.context import StudioContext
from studio.errors import StudioError
from studio.events import EventKind
from studio.inference import WEIGHTS_NAME
from studio.rights import ledger
from studio.store.tables import Creator, Model, ModelVersion


@dataclass(frozen=True)
class VersionView:
    id: str
    model_id: str
    handle: str
    number: int
    status: str  # trained | published | retired
    model_status: str  # draft | published | disabled
    path: Path  # the model folder (absolute)
    base_model: str
    trigger: str | None
    scores: dict[str, Any] | None
    metrics: dict[str, Any]
    manifest: dict[str, Any]
    created_at: datetime
    published_at: datetime | None

    @property
    def gate_passed(self) -> bool:
        return bool(self.scores and self.scores.get("passed"))


def model_row(s: Session, creator: Creator) -> Model | None:
    """The creator's model (one per creator; its versions are the trainings)."""
    return s.scalar(select(Model).where(Model.creator_id == creator.id).order_by(Model.created_at))


class Versions:
    def __init__(self, ctx: StudioContext):
        self.ctx = ctx

    def _view(self, v: ModelVersion, m: Model, handle: str) -> VersionView:
        return VersionView(v.id, m.id, handle, v.number, v.status, m.status, (self.ctx.home / v.path).resolve(),
                           v.base_model, v.trigger, v.scores, v.manifest.get("metrics", {}), v.manifest,
                           v.created_at, v.published_at)

    def folder(self, handle: str) -> Path:
        return self.ctx.home / "models" / handle

    def reserve(self, handle: str) -> Path:
        """Create and return ``HOME/models/HANDLE/vN`` for a new run: N above every folder and row."""
        root = self.folder(handle)
        root.mkdir(parents=True, exist_ok=True)
        with self.ctx.reading() as s:
            model = model_row(s, self.ctx.creator_row(s, handle))
            recorded = s.scalar(select(func.max(ModelVersion.number))
                                .where(ModelVersion.model_id == model.id)) if model else None
        number = max([int(p.name[1:]) for p in root.glob("v*") if p.name[1:].isdigit()] + [recorded or 0]) + 1
        while True:
            try:
                (root / f"v{number}").mkdir()  # exclusive: a folder another run made is never reused
                return root / f"v{number}"
            except FileExistsError:
                number += 1

    def unfinished(self, handle: str) -> Path | None:
        """The newest version folder that has checkpoints but no recorded version (a killed run)."""
        root = self.folder(handle)
        if not root.is_dir():
            return None
        with self.ctx.reading() as s:
            recorded = set(s.scalars(select(ModelVersion.path)))
        for p in sorted((p for p in root.glob("v*") if p.name[1:].isdigit()), key=lambda p: -int(p.name[1:])):
            if p.relative_to(self.ctx.home).as_posix() not in recorded and any(p.glob("checkpoint-*/state.json")):
                return p
        return None

    def record(self, handle: str, folder: Path, manifest: dict) -> VersionView:
        """Record a finished training run as the creator's next model version (event model.trained)."""
        weights = (Path(folder) / manifest.get("weights_file", WEIGHTS_NAME)).read_bytes()
        with self.ctx.transaction() as s:
            creator = self.ctx.creator_row(s, handle)
            model = model_row(s, creator)
            if model is None:
                model = Model(creator_id=creator.id, name=f"{creator.name} style")
                s.add(model)
                s.flush()
            number = (s.scalar(select(func.max(ModelVersion.number))
                               .where(ModelVersion.model_id == model.id)) or 0) + 1
            v = ModelVersion(model_id=model.id, number=number, base_model=manifest["base"]["name"],
                             base_sha256=manifest["base"]["sha256"],
                             path=Path(folder).relative_to(self.ctx.home).as_posix(),
                             trigger=manifest["config"].get("trigger"), manifest=manifest, status="trained")
            s.add(v)
            s.flush()
            ledger.append(s, "model.trained", v.id, {
                "creator": handle, "model": model.id, "version": v.id, "number": number,
                "base": manifest["base"]["name"], "base_sha256": manifest["base"]["sha256"],
                "weights_sha256": hashlib.sha256(weights).hexdigest(),
                "items": [{"item": i["item_id"], "sha256": i["sha256"], "consent": i["consent_id"], "role": i["role"]}
                          for i in manifest["items"]],
                "steps": manifest["metrics"]["steps"], "seed": manifest["seed"]})
            view = self._view(v, model, handle)
        self.ctx.emit(EventKind.MODEL_TRAINED, handle, version=view.id)
        return view

    def list(self, handle: str) -> list[VersionView]:
        """The creator's model versions, oldest first."""
        with self.ctx.reading() as s:
            creator = self.ctx.creator_row(s, handle)
            rows = s.execute(select(ModelVersion, Model).join(Model, Model.id == ModelVersion.model_id)
                             .where(Model.creator_id == creator.id).order_by(ModelVersion.number)).all()
            return [self._view(v, m, handle) for v, m in rows]

    def get(self, handle: str, version_id: str | None = None) -> VersionView:
        """A version by id (or number, "3" or "v3"), else the creator's newest one."""
        found = self.list(handle)
        if not found:
            raise StudioError(f"{handle!r} has no trained model yet (train one with `studio train {handle}`)")
        if version_id is None:
            return found[-1]
        for v in found:
            if v.id == version_id or str(v.number) == str(version_id).lstrip("v"):
                return v
        raise StudioError(f"{handle!r} has no model version {version_id!r}")
