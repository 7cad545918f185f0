"""RNN Lab: the router. Pages live in pages/ (thin: widgets, one call into core, figures);
all logic lives in core/."""
import streamlit as st

from core.runtime import configure_torch, freeze_startup_objects, import_everything
from pages._common import device, start_workers
from pages._links import copy_link, run_linked
from pages._registry import SECTIONS

st.set_page_config(page_title="RNN Lab", page_icon=":material/replay:", layout="wide")
st.cache_resource(configure_torch)(serving=True)  # once per server process: one torch thread (see its docstring)
# once per process, before any page runs: sessions arriving together would otherwise import the same modules at
# the same moment in their own threads, which Python does not make safe (see core.runtime.import_everything)
st.cache_resource(show_spinner="Starting RNN Lab…")(import_everything)()
# once: the worker processes for NumPy loops (core.offload), started in the background
st.cache_resource(start_workers)()
st.cache_resource(freeze_startup_objects)()  # once, after the imports: keeps Python's full collections short
# A displayed equation is a scroll box (KaTeX's overflow-x: auto) that overflowed by a pixel or two, and a scroll box
# a keyboard cannot reach fails WCAG 2.1.1; the equations fit the page, so they are drawn as plain blocks
st.html("<style>.katex-display { overflow: visible !important; }</style>")

try:  # the device every model runs on (RNN_LAB_DEVICE): a setting that names none here stops at the door, in words
    device()
except ValueError as e:
    st.error(f"This server cannot run its models: RNN_LAB_DEVICE is set wrong ({e}). Whoever runs it: set it to auto, "
             "cpu or cuda and restart the server.")
    st.stop()

PAGES = {section: [st.Page(p.file, title=p.title, icon=p.icon, default=p.file == "pages/home.py") for p in pages]
         for section, pages in SECTIONS.items()}
page = st.navigation(PAGES)
with st.sidebar:
    copy_link()
run_linked(page)  # runs the page; says which values of a link it could not use (pages/_links.py)
