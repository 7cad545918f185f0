"""RNN Lab: the router. Pages live in pages/ (thin: widgets, one call into core, figures);
all logic lives in core/."""
import streamlit as st

from core.runtime import configure_torch
from pages._registry import SECTIONS

st.set_page_config(page_title="RNN Lab", page_icon=":material/replay:", layout="wide")
st.cache_resource(configure_torch)()  # once per server process, shared by every session

PAGES = {section: [st.Page(p.file, title=p.title, icon=p.icon, default=p.file == "pages/home.py") for p in pages]
         for section, pages in SECTIONS.items()}
st.navigation(PAGES).run()
