"""The model store: every character model trained or uploaded on a server, kept on disk so that it survives a
refresh, a dropped connection and a server restart, and so that a link (`?model=<id>`) can open it anywhere.

One directory (RNN_LAB_MODEL_STORE, default `.data/models` beside the app) holds, per model:
- `<id>.pt`, the checkpoint, content-addressed: the id is the first 16 hex digits of the file's SHA-256;
- `<id>.json`, what it is: display name, who trained it, kind, corpus, cell and size, held-out loss, when.
Both are written atomically (a temporary file renamed into place), so a reader never sees half a file, and
processes that share the directory share the models (what a multi-process deployment uses).

Every listing and every load checks the file against its id (a file cut short or replaced is refused, and
nothing is run: checkpoints load as plain weights, core.checkpoints). The store has a size cap
(RNN_LAB_MODEL_STORE_MB, default 2,000 MB): after a save takes it over the cap, the oldest models are
deleted first, never the one just saved. The shipped models live in assets/, never here, so they are never evicted.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from core.checkpoints import Checkpoint, CheckpointError, load_checkpoint

STORE_ENV, CAP_ENV = "RNN_LAB_MODEL_STORE", "RNN_LAB_MODEL_STORE_MB"
DEFAULT_ROOT = Path(__file__).resolve().parents[1] / ".data" / "models"
DEFAULT_CAP_MB = 2000
ID = re.compile(r"[0-9a-f]{16}")
MAX_NAME = 60  # characters of a display name or a trainer's name


def content_id(data: bytes) -> str:
    """A checkpoint's id: the first 16 hex digits of its bytes' sha256 (the same file, the same id)."""
    return hashlib.sha256(data).hexdigest()[:16]


def clean_name(text: object, fallback: str) -> str:
    """A display name as typed: printable characters only, spaces collapsed, at most MAX_NAME characters."""
    words = "".join(c if c.isprintable() else " " for c in str(text or "")).split()
    return " ".join(words)[:MAX_NAME] or fallback


@dataclass(frozen=True)
class StoredModel:
    """One model in the store, as its sidecar describes it."""

    id: str
    name: str
    who: str
    kind: str
    corpus: str
    cell: str
    layers: int
    hidden: int
    val_loss: float | None
    created: float  # seconds since the epoch
    size: int  # bytes of the checkpoint file

    @property
    def title(self) -> str:
        """How pickers and the gallery show it (the id's start tells two of the same name apart)."""
        return f"{self.name} · by {self.who} · {self.id[:6]}"


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class ModelStore:
    """The store in one directory (module docstring); safe to share between threads and processes."""

    def __init__(self, root: str | Path, cap_bytes: int) -> None:
        self.root = Path(root)
        self.cap_bytes = int(cap_bytes)
        self._lock = threading.Lock()
        self._verified: dict[str, tuple[int, int]] = {}  # id -> (mtime_ns, size) of the file last found whole

    @classmethod
    def from_environment(cls) -> ModelStore:
        """The store the environment names (RNN_LAB_MODEL_STORE, RNN_LAB_MODEL_STORE_MB), else the defaults."""
        root = os.environ.get(STORE_ENV, "").strip() or DEFAULT_ROOT
        mb = os.environ.get(CAP_ENV, "").strip()
        return cls(root, int(float(mb) * 1e6) if re.fullmatch(r"\d+(\.\d+)?", mb) else DEFAULT_CAP_MB * 10**6)

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Held while saving or evicting: one thread of this process, one process of those sharing the folder."""
        self.root.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.root / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def save(self, data: bytes, name: str, who: str = "") -> StoredModel:
        """Keep the checkpoint `data` (refused with CheckpointError if it does not load as one) under a display
        name and its trainer's name; returns its entry. Saving the same file again keeps the one copy, with its
        first name and trainer."""
        checkpoint = load_checkpoint(data)
        model_id = content_id(data)
        config, metrics = checkpoint.model.config, checkpoint.metrics
        loss = metrics.get("val_loss")
        entry = StoredModel(model_id, clean_name(name, "a model"), clean_name(who, "anonymous"), checkpoint.kind,
                            str(checkpoint.train_config.get("corpus", metrics.get("corpus", "")))[:MAX_NAME],
                            str(getattr(config, "cell", "")), int(getattr(config, "num_layers", 0)),
                            int(getattr(config, "hidden_size", 0)),
                            float(loss) if isinstance(loss, (int, float)) else None, time.time(), len(data))
        with self._exclusive():
            kept = self.get(model_id)
            if kept is not None:  # already here: the first name and trainer stay (a re-upload re-attributes nothing)
                return kept
            _write_atomically(self.root / f"{model_id}.pt", data)  # missing, or damaged since: (re)write it
            _write_atomically(self.root / f"{model_id}.json", json.dumps(asdict(entry)).encode())
            self._evict(keep=model_id)
        return entry

    def _whole(self, model_id: str) -> bool:
        """Whether `<id>.pt` is there and hashes to its id (remembered while its size and time do not change)."""
        path = self.root / f"{model_id}.pt"
        try:
            stat = path.stat()
            if self._verified.get(model_id) == (stat.st_mtime_ns, stat.st_size):
                return True
            whole = content_id(path.read_bytes()) == model_id
        except OSError:
            return False
        if whole:
            self._verified[model_id] = (stat.st_mtime_ns, stat.st_size)
        return whole

    def _sidecar(self, model_id: str) -> StoredModel | None:
        try:
            raw = json.loads((self.root / f"{model_id}.json").read_text())
            entry = StoredModel(**raw)
        except (OSError, ValueError, TypeError):
            return None
        return entry if entry.id == model_id and isinstance(entry.name, str) and isinstance(entry.who, str) else None

    def entries(self) -> list[StoredModel]:
        """Every model in the store whose file is whole and whose description reads, newest first."""
        if not self.root.is_dir():
            return []
        ids = [p.stem for p in self.root.glob("*.json") if ID.fullmatch(p.stem)]
        found = [e for e in map(self._sidecar, ids) if e is not None and self._whole(e.id)]
        return sorted(found, key=lambda e: -e.created)

    def get(self, model_id: object) -> StoredModel | None:
        """The entry of `model_id` (any text: only a well-formed id of a whole file is found), or None."""
        if not isinstance(model_id, str) or not ID.fullmatch(model_id):
            return None
        entry = self._sidecar(model_id)
        return entry if entry is not None and self._whole(model_id) else None

    def load(self, model_id: object) -> Checkpoint:
        """The checkpoint of `model_id`, checked against its id and loaded as plain weights (CheckpointError)."""
        if self.get(model_id) is None:
            raise CheckpointError(f"no saved model has the id {str(model_id)[:40]!r}")
        try:
            data = (self.root / f"{model_id}.pt").read_bytes()
        except OSError:  # evicted or removed since it was listed
            raise CheckpointError(f"the saved model {model_id} is no longer on the server") from None
        if content_id(data) != model_id:
            raise CheckpointError("the saved model's file has changed since it was saved")
        return load_checkpoint(data)

    def _evict(self, keep: str) -> None:
        """Delete the oldest models until the store is within its cap, never `keep` (called holding the lock)."""
        sizes = {p.stem: p.stat().st_size for p in self.root.glob("*.pt") if ID.fullmatch(p.stem)}
        total = sum(sizes.values())
        for entry in sorted(self.entries(), key=lambda e: e.created):
            if total <= self.cap_bytes:
                break
            if entry.id != keep:
                self.delete(entry.id)
                total -= sizes.get(entry.id, 0)
        for model_id in sizes:  # a file whose description is gone can never be listed: drop it too
            if not (self.root / f"{model_id}.json").exists() and model_id != keep:
                (self.root / f"{model_id}.pt").unlink(missing_ok=True)

    def delete(self, model_id: str) -> None:
        """Remove one model (both files)."""
        if ID.fullmatch(model_id):
            for suffix in (".json", ".pt"):
                (self.root / f"{model_id}{suffix}").unlink(missing_ok=True)
            self._verified.pop(model_id, None)
