"""What every page does first: run inside the router, then say what it teaches (title, a few
sentences, the equations). Not a page itself: app.py does not list it."""
import os
import threading

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from core.offload import Workers
from core.plots.frozen import summary_of
from core.runtime import available_cores, pick_device


def ensure_router() -> None:
    """Rerun through app.py if Streamlit started this page without it.

    With a folder named pages/ beside app.py, Streamlit 1.67 serves a page opened by its URL
    *directly* (its legacy pages-folder mode: no st.navigation, page config or set-up from app.py)
    until app.py has run once in the server process. Switching that mode off and rerunning makes
    the router run first, and the router then shows the page the URL asked for. The rerun happens
    only on a session's first run, where there is no click or edit it could swallow. (The tests keep AppTest out of
    that mode too: tests/conftest.py.)
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        if not st.session_state:
            st.rerun()


def page_intro(title: str, text: str, *equations: str) -> None:
    """The page's title, its two to four sentences of teaching, and its equations in LaTeX."""
    ensure_router()
    st.title(title)
    st.markdown(text)
    for equation in equations:
        st.latex(equation)


def download_data(figure, key: str, what: str) -> None:
    """A small button under a figure that downloads the data it draws as CSV (built only when clicked)."""
    from core.plots.export import figure_csv

    st.download_button(f"Download {what} (CSV)", data=lambda: figure_csv(figure), file_name=f"{key}.csv",
                       mime="text/csv", key=f"csv_{key}", on_click="ignore", type="tertiary",
                       icon=":material/download:", help="Every point of the figure above: trace, x, y (and value).")


def check_yourself(key: str, question: str, options: list[str], answer: str, why: str) -> None:
    """A predict-then-reveal question: the student picks an answer, presses Reveal, then sees the right one (computed
    by the page from the live model and controls) with the numbers that decide it. When the controls change the
    answer or the numbers, the reveal is hidden again until the student predicts anew. Picking and revealing rerun
    only this box (a fragment), never the page's computations."""
    st.fragment(_check_box)(key, question, options, answer, why)


def _check_box(key: str, question: str, options: list[str], answer: str, why: str) -> None:
    with st.container(border=True):
        st.markdown(f"**Check yourself.** {question}")
        pick = st.radio("Your prediction", options, index=None, key=f"check_{key}", horizontal=True)
        shown = f"revealed_{key}"
        if st.button("Reveal", key=f"reveal_{key}", disabled=pick is None, help="Predict first, then look."):
            st.session_state[shown] = (question, answer, why)
        if st.session_state.get(shown) == (question, answer, why) and pick is not None:
            (st.success if pick == answer else st.warning)(
                f"{'Right' if pick == answer else 'Not this time'}: **{answer}**. {why}")


def chart(fig, key: str, where=None) -> None:
    """Draw `fig` (in `where`, a column or container; the page by default) with its text alternative under it: what
    the figure shows in words and its live numbers (core.plots.style.with_summary), which a screen reader reads and
    anyone may. A figure without one is drawn alone."""
    where = st if where is None else where
    where.plotly_chart(fig, key=key, theme=None)
    text = summary_of(fig)
    if text:
        where.caption(f"In words: {plain(text)}")


def plain(text: str) -> str:
    """`text` with every Markdown-special character backslash-escaped, so st.markdown, st.caption and the
    alerts show user text literally (no links, emphasis, code spans or $math$ made from it); a zero-width
    space after each colon keeps ":smile:" or ":red[…]" from turning into an emoji, icon or colour."""
    return "".join("\\" + c if c in "\\`*_{}[]()<>#+-.!|$~" else c + "\u200b" if c == ":" else c for c in text)


# A widget whose value decides what the page shows is drawn with `key=NAME, bind=LINK`: its value lives in the
# address as ?NAME=…, so the URL rebuilds the view, and it survives a visit to another page (Streamlit's binding;
# pages/_links.py checks what a link asked for). NAME is then a parameter of the page's links: keep it stable.
LINK = "query-params"


@st.cache_resource
def device():
    """The one device every model of this server runs on (the shipped and stored models, the image encoder, the
    training jobs): RNN_LAB_DEVICE, one of auto (the default: CUDA when present, else the CPU), cpu, cuda or cuda:N,
    read once per server process (core.runtime.pick_device) and passed to core explicitly. A value that names no
    device here is a ValueError on every page that runs a model, in words."""
    return pick_device(os.environ.get("RNN_LAB_DEVICE", "").strip() or "auto")


# The modules a worker process needs for the work the pages send it (imported when the server starts them).
WORKER_MODULES = ("core.gradients.experiment",)


@st.cache_resource
def workers() -> Workers:
    """The server's worker processes (core.offload), one pool shared by every session: RNN_LAB_WORKERS of them, by
    default one per core up to two; 0 runs their work in the session's own thread."""
    setting = os.environ.get("RNN_LAB_WORKERS", "").strip()
    return Workers(int(setting) if setting.isdigit() else min(2, available_cores()))


def start_workers() -> None:
    """Start the workers and their imports in the background (app.py calls this once per server), so that the first
    student to need one does not wait for it."""
    threading.Thread(target=workers().warm, args=WORKER_MODULES, name="rnn-lab-workers", daemon=True).start()
