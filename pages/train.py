"""Train your own character model in the background, watch it learn, keep it, download it."""
from dataclasses import asdict

import streamlit as st

from core.charlm.corpus import CORPORA, MAX_UPLOAD_BYTES, CorpusError, load_corpus, text_from_upload
from core.charlm.train import TrainConfig, run_training_job
from core.checkpoints import CheckpointError, load_checkpoint
from core.plots.charlm import training_curves_figure
from pages._common import LINK, chart, download_data, page_intro, plain
from pages._jobs import CannotStart, JobSpec, job_panel, start_button
from pages._models import KEPT, TRAIN_JOB, TRAINER, add_user_model, keep_finished_training, on_device, save_to_store

page_intro(
    "Train your own",
    "Train a character-level RNN, LSTM or GRU on Shakespeare, Python code or your own text, in the background: "
    "the page stays usable, you can switch pages, and Stop ends the run. Training uses **truncated "
    "backpropagation through time**: the hidden state is carried forward across chunks forever, but gradients "
    "flow back only inside a chunk. Every few hundred steps the model writes a sample, so you can watch it go "
    "from noise to words.",
    r"\text{chunk } k:\; L_k = -\tfrac{1}{BT}\sum_{t \in k} \log p(x_{t+1} \mid x_{\le t}),\qquad "
    r"h_{\text{start of } k+1} = \mathrm{stopgrad}(h_{\text{end of } k})",
)


def controls() -> tuple[TrainConfig, object]:
    """The widgets: corpus (or an upload), architecture, optimisation, budget."""
    c1, c2, c3, c4 = st.columns(4)
    corpus = c1.selectbox("Corpus", [*CORPORA[:2], "upload"], key="corpus", bind=LINK,
                          help="Shakespeare's plays (4 held out), Python's standard library, "
                               "or a UTF-8 text file of yours.")
    cell = c2.selectbox("Cell", ["lstm", "gru", "rnn"], key="cell", bind=LINK,
                        help="LSTM and GRU keep an additive path for the gradient; "
                             "the vanilla RNN multiplies by W_hh each step.")
    hidden = c3.select_slider("Hidden units", [64, 128, 256, 512, 768], value=512, key="hidden_size", bind=LINK,
                              help="Width of each recurrent layer.")
    layers = c4.select_slider("Layers", [1, 2, 3], value=1, key="layers", bind=LINK, help="Recurrent layers stacked.")
    c5, c6, c7, c8, c9 = st.columns(5)
    chunk = c5.slider("Chunk length (TBPTT)", 10, 200, value=100, key="chunk", bind=LINK, step=10,
                      help="How many steps gradients flow back through before the graph is cut.")
    clip = c6.selectbox("Clipping", ["norm", "value", "none"], key="clip", bind=LINK,
                        help="Rescale the whole gradient if its norm is too big, clip each entry, or nothing.")
    clip_value = c7.number_input("Clip at", 0.01, 100.0, value=5.0, key="clip_value", bind=LINK,
                                 help="The largest gradient norm (or entry) allowed.")
    lr = c8.select_slider("Learning rate", [3e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2, 3e-2], 3e-3, key="train_lr", bind=LINK,
                          help="Adam's step size, decayed along a cosine to a tenth of it.")
    minutes = c9.slider("Minutes", 0.5, 10.0, value=3.0, key="minutes", bind=LINK, step=0.5,
                        help="The run stops after this long (or earlier, on Stop).")
    upload = None
    if corpus == "upload":
        upload = st.file_uploader("Your text (UTF-8, up to 5 MB)", type=["txt", "md", "py", "csv"], key="corpus_upload",
                                  max_upload_size=MAX_UPLOAD_BYTES // 1_000_000,
                                  help="Plain text; at least 10,000 characters. 90% trains, the last 10% validates.")
    cfg = TrainConfig(corpus=corpus, cell=cell, hidden_size=hidden, num_layers=layers, chunk_len=chunk, clip=clip,
                      clip_value=float(clip_value), lr=lr, max_seconds=minutes * 60)
    return cfg, upload


def training_job(cfg: TrainConfig, upload) -> JobSpec:
    """The run Start queues: its corpus is read (or the upload checked) only on the click."""
    try:
        if cfg.corpus != "upload":
            corpus = load_corpus(cfg.corpus)
        elif upload is None:
            raise CorpusError("choose a text file to upload first")
        else:
            corpus = text_from_upload(upload.getvalue(), upload.name)
    except CorpusError as e:
        raise CannotStart(f"Cannot train on this text: {e}") from e
    return (f"{corpus.name} · {cfg.cell} {cfg.num_layers}×{cfg.hidden_size}",
            lambda job: run_training_job(job, cfg, corpus, job.device))


cfg, upload = controls()
st.text_input("Your name", key=TRAINER, persist_state="session", max_chars=60, placeholder="anonymous",
              help="Shown with the models you train or upload here, in every student's model picker.")
st.caption("Models trained or uploaded here are saved on this server: everyone who uses it can pick them (empty name: "
           "anonymous), and each has a link that opens it.")
start_button("Start training", TRAIN_JOB, lambda: training_job(cfg, upload), asdict(cfg),
             help="Queue this run; the page shows your place in line.")
job = st.session_state.get(TRAIN_JOB)


def saved_where(label: str, entry) -> None:
    """Where a kept model is: on the server, with its link (entry: core.store.StoredModel), or in this session only."""
    if entry is None:
        st.caption(f"Kept for this session as “{plain(label)}”: pick it on “Sampling & temperature”.")
        return
    st.markdown(f"Saved on this server as “{plain(entry.title)}”: pick it on any model page, or open it in any "
                f"browser, after a restart too, with its link [sampling?model={entry.id}](sampling?model={entry.id}).")


def training_ended(job) -> None:
    """How the run ended: diverged, or finished / stopped with a model kept."""
    if job.result is not None and job.result.status == "diverged":
        st.error(f"“{job.name}”: {job.result.message}")
    else:
        st.success(f"“{job.name}” {job.status} after {len(job.rows)} steps and {job.elapsed:.0f} s.")


def show_training(job) -> None:
    """Metrics, curves and samples so far; once it has ended, the kept model and its download."""
    rows, notes = job.snapshot()
    if rows:
        last = rows[-1]
        evals = [r for r in rows if "val_loss" in r]
        m1, m2, m3, m4 = st.columns(4)
        m1.metric("Step", int(last["step"]), help="Gradient steps taken.")
        m2.metric("Train loss", f"{last['loss']:.3f}", help="Nats per character on the last chunk.")
        m3.metric("Validation loss", f"{evals[-1]['val_loss']:.3f}" if evals else "–",
                  help="Nats per character on held-out text (a slice of it while training).")
        m4.metric("Gradient norm", f"{last['grad_norm']:.2f}", help="Before clipping.")
        curves = training_curves_figure(rows)
        chart(curves, "curves")
        download_data(curves, "training_curves", "the loss curves")
        st.caption("Blue: the loss of each training chunk. Orange: held-out validation loss. When they part ways, "
                   "the model starts to memorise.")
    for seconds, text in reversed(notes[-4:]):
        st.text(f"after {seconds:.0f} s:\n{text}")
    keep_finished_training()
    kept = st.session_state.get(KEPT)
    if job.done and kept and kept[0] is job:
        saved_where(kept[1], kept[2])
        st.download_button("Download the checkpoint", kept[3], file_name="charlm.pt", key="download_ckpt",
                           help="Plain weights, config, vocabulary and metrics (.pt).")


if job is None:
    st.info("No run yet. Choose the settings above and press Start training.")
job_panel(TRAIN_JOB, lambda job: job.elapsed / job.meta["max_seconds"], show_training, ended=training_ended)

st.subheader("Upload a checkpoint")
file = st.file_uploader("A .pt file saved by RNN Lab", type=["pt"], key="ckpt_upload",
                        help="Loaded safely (weights only: a file can never run code here).")
if file is not None and st.session_state.get("ckpt_loaded", (None,))[0] != file.file_id:
    try:
        uploaded = on_device(load_checkpoint(file.getvalue()))
        if uploaded.kind != "charlm":
            raise CheckpointError(f"it is a {uploaded.kind} model; this page takes character models (charlm) only")
        label = add_user_model(file.name, uploaded)
        st.session_state["ckpt_loaded"] = (file.file_id, label, "", save_to_store(label, file.getvalue()))
    except CheckpointError as e:
        st.session_state["ckpt_loaded"] = (file.file_id, "", str(e), None)
if file is not None:
    _, label, problem, entry = st.session_state["ckpt_loaded"]
    if problem:
        st.error(f"Could not use {plain(file.name)}: {plain(problem)}")
    else:
        st.success(f"Loaded as “{plain(label)}”: pick it on “Sampling & temperature”.")
        saved_where(label, entry)
