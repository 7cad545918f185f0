"""The home page and the router."""
from pathlib import Path

from pages._registry import SECTIONS
from tests.app.helpers import open_page


def test_home_names_the_lecture_and_links_every_page():
    at = open_page()
    assert at.title[0].value == "RNN Lab"
    text = " ".join(m.value for m in at.markdown)
    assert "Lecture 10" in text and "recurrent" in text
    links = [(e.proto.page, e.proto.label) for e in at.get("page_link")]
    assert links == [(Path(info.file).stem, info.title) for pages in SECTIONS.values() for info in pages
                     if info.file != "pages/home.py"]  # every other page of the registry: url path, sidebar title
