"""Model pickers shared by the character-model pages, and the server's model store (not a page itself).

Every model a student trains or uploads is also saved in the store (core.store): it survives a refresh and a
restart, every user of the server can pick it, and `?model=<id>` opens it on any page that takes a model.
"""
from collections.abc import Iterator, Mapping

import streamlit as st

from core.charlm.shipped import available_models
from core.checkpoints import Checkpoint, CheckpointError, checkpoint_bytes, load_checkpoint
from core.store import ModelStore, StoredModel
from pages._common import device, plain
from pages._links import refuse, stop, write_link

USER_MODELS = "my_models"  # session key: label -> Checkpoint of models this user trained or uploaded
TRAIN_JOB = "train_job"  # session key: this session's training Job
KEPT = "train_job_kept"  # session key: (job, label, stored entry or None) of the run whose model was kept
SAVED = "my_saved_models"  # session key: store id -> the label of this session's own copy
TRAINER = "trainer_name"  # session key: the name a student typed, saved with their models
LISTED = 30  # the store's newest models offered in the pickers
MAX_USER_MODELS = 3  # models a session keeps (a 3×768 LSTM is 57 MB): memory per student stays bounded


@st.cache_resource(show_spinner="Loading a shipped model…")
def shipped_checkpoint(path: str) -> Checkpoint:
    """A shipped checkpoint, loaded once per server process onto the server's device and shared read-only by every
    session."""
    return on_device(load_checkpoint(path))


@st.cache_resource
def model_store() -> ModelStore:
    """The server's model store (RNN_LAB_MODEL_STORE, RNN_LAB_MODEL_STORE_MB; core.store)."""
    return ModelStore.from_environment()


@st.cache_resource(max_entries=8, show_spinner="Loading a saved model…")
def stored_checkpoint(model_id: str) -> Checkpoint:
    """A model from the store, loaded once per server process (onto the server's device) while it is among the 8 last
    used (read-only)."""
    return on_device(model_store().load(model_id))


def on_device(checkpoint: Checkpoint) -> Checkpoint:
    """`checkpoint` with its model moved to the server's device (pages/_common.device), before any page uses it: a
    loaded checkpoint is on the CPU (core.checkpoints keeps files device-free), and what a model computes is traced
    for the device it is on at first use (core.runtime.TracedOnce)."""
    checkpoint.model.to(device())
    return checkpoint


def save_to_store(label: str, data: bytes) -> StoredModel | None:
    """Save this session's model `label` (checkpoint bytes) in the store under the student's name; None, with a
    warning, if the store cannot take it (the model stays in this session)."""
    try:
        who = st.session_state.get(TRAINER, "")  # the box may be off screen
        entry = model_store().save(data, label, who)
    except (OSError, CheckpointError) as e:
        st.warning(f"“{plain(label)}” is kept for this session only: the server could not save it "
                   f"({plain(type(e).__name__ if isinstance(e, OSError) else str(e))}).")
        return None
    st.session_state.setdefault(SAVED, {})[entry.id] = label
    return entry


def keep_finished_training() -> None:
    """Add the model of this session's training run to its models, and to the store, once the run has ended with
    one."""
    job = st.session_state.get(TRAIN_JOB)
    result = None if job is None or not job.done else job.result
    if result is None or result.status == "diverged" or st.session_state.get(KEPT, (None,))[0] is job:
        return
    st.session_state[KEPT] = (job, None, None, None)  # first, so that a rerun cut short here never keeps it twice
    label = add_user_model(job.name, Checkpoint("charlm", result.model, result.vocab.chars, result.metrics, job.meta))
    data = checkpoint_bytes("charlm", result.model, result.vocab.chars, result.metrics, job.meta)
    st.session_state[KEPT] = (job, label, save_to_store(label, data), data)


class ModelChoices(Mapping):
    """The models a picker offers, by label: the ones in memory (shipped, this session's own) and the store's, loaded
    only when one is chosen. `link_id(label)` is what `?model=` names it by."""

    def __init__(self, loaded: dict[str, Checkpoint], stored: dict[str, str], links: dict[str, str]) -> None:
        self._loaded, self._stored, self._links = loaded, stored, links

    def __getitem__(self, label: str) -> Checkpoint:
        if label in self._loaded:
            return self._loaded[label]
        return stored_checkpoint(self._stored[label])

    def __contains__(self, label: object) -> bool:
        return label in self._loaded or label in self._stored

    def __iter__(self) -> Iterator[str]:
        yield from self._loaded
        yield from self._stored

    def __len__(self) -> int:
        return len(self._loaded) + len(self._stored)

    def in_memory(self) -> dict[str, Checkpoint]:
        """The shipped models and this session's own: what tables and comparisons go through."""
        return dict(self._loaded)

    def link_id(self, label: str) -> str | None:
        return self._links.get(label)

    def label_of(self, link_id: object) -> str | None:
        return next((label for label, lid in self._links.items() if lid == link_id), None)


def all_models() -> ModelChoices:
    """Every model this session can use: the shipped ones, its own, then the store's newest (every user's)."""
    keep_finished_training()
    loaded = {m.title: shipped_checkpoint(str(m.path)) for m in available_models()}
    links = {m.title: m.key for m in available_models()}
    mine = st.session_state.get(USER_MODELS, {})
    loaded.update({f"yours: {k}": v for k, v in mine.items()})
    saved = st.session_state.get(SAVED, {})
    links.update({f"yours: {label}": model_id for model_id, label in saved.items() if label in mine})
    entries = [e for e in model_store().entries() if e.kind == "charlm"]
    wanted = st.query_params.get("model")  # a link may name a model older than the newest LISTED: offer it too
    listed = entries[:LISTED] + [e for e in entries[LISTED:] if e.id == wanted]
    stored = {}
    for entry in listed:
        if not (entry.id in saved and saved[entry.id] in mine):
            stored[f"saved: {entry.title}"] = entry.id
    links.update({label: model_id for label, model_id in stored.items()})
    return ModelChoices(loaded, stored, links)


def chosen_checkpoint(models: ModelChoices, label: str) -> Checkpoint:
    """The checkpoint of the chosen model; if a saved one can no longer be read (deleted by the size cap a moment
    ago, or damaged), a message and the page stops."""
    try:
        return models[label]
    except CheckpointError as e:
        st.error(f"“{plain(label)}” cannot be opened any more ({plain(str(e))}). Pick another model.")
        stop()


def pick_model(container, key: str, models: ModelChoices, help: str) -> str:
    """The page's model picker (its label). A link's `?model=<id>` chooses the model it names (a shipped model's key
    or a saved model's id) once; a link naming no model gets a one-line notice and the default. The chosen model's
    id is put back in the address, so the URL reopens it."""
    wanted = st.query_params.get("model")
    consumed = f"link:{key}"
    if wanted is not None and st.session_state.get(consumed) != wanted:
        st.session_state[consumed] = wanted
        label = models.label_of(wanted)
        if label is None:
            refuse("model", wanted, "a model this server has")
        else:
            st.session_state[key] = label
    label = container.selectbox("Model", list(models), key=key, persist_state="session", help=help)
    link = models.link_id(label)
    if link is not None and st.query_params.get("model") != link:
        st.session_state[consumed] = link  # the address will name the chosen model: not a link to follow
    write_link("model", link)
    return label


def add_user_model(label: str, checkpoint: Checkpoint) -> str:
    """Keep a model this user made, under a label not already taken; returns the label. Only the
    MAX_USER_MODELS most recent are kept: the oldest is let go, with a notice."""
    mine = st.session_state.setdefault(USER_MODELS, {})
    used = st.session_state.setdefault(f"{USER_MODELS}_labels", set())  # never reused, even once let go
    name, k = label, 2
    while name in used:
        name, k = f"{label} ({k})", k + 1
    used.add(name)
    while len(mine) >= MAX_USER_MODELS:
        oldest = next(iter(mine))
        del mine[oldest]
        st.toast(f"Only your {MAX_USER_MODELS} most recent models are kept on the server: “{oldest}” was let go. "
                 "Download a model to keep it.")
    mine[name] = checkpoint
    return name
