"""Model pickers shared by the character-model pages (not a page itself)."""
import streamlit as st

from core.charlm.shipped import available_models
from core.checkpoints import Checkpoint, load_checkpoint

USER_MODELS = "my_models"  # session key: label -> Checkpoint of models this user trained or uploaded
TRAIN_JOB = "train_job"  # session key: this session's training Job
KEPT = "train_job_kept"  # session key: (job, label) of the run whose model was kept
MAX_USER_MODELS = 3  # models a session keeps (a 3×768 LSTM is 57 MB): memory per student stays bounded


@st.cache_resource(show_spinner="Loading a shipped model…")
def shipped_checkpoint(path: str) -> Checkpoint:
    """A shipped checkpoint, loaded once per server process and shared read-only by every session."""
    return load_checkpoint(path)


def keep_finished_training() -> None:
    """Add the model of this session's training run to its models once the run has ended with one."""
    job = st.session_state.get(TRAIN_JOB)
    result = None if job is None or not job.done else job.result
    if result is None or result.status == "diverged" or st.session_state.get(KEPT, (None,))[0] is job:
        return
    label = add_user_model(job.name, Checkpoint("charlm", result.model, result.vocab.chars, result.metrics, job.meta))
    st.session_state[KEPT] = (job, label)


def all_models() -> dict[str, Checkpoint]:
    """Every model this session can use: the shipped ones, then its own."""
    keep_finished_training()
    models = {m.title: shipped_checkpoint(str(m.path)) for m in available_models()}
    models.update({f"yours: {k}": v for k, v in st.session_state.get(USER_MODELS, {}).items()})
    return models


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
