"""The home page and the router."""
from tests.app.helpers import open_page


def test_home_names_the_lecture_and_links_every_page():
    at = open_page()
    assert at.title[0].value == "RNN Lab"
    text = " ".join(m.value for m in at.markdown)
    assert "Lecture 10" in text and "recurrent" in text
    links = [e.proto.page for e in at.get("page_link")]
    assert links == ["rnn_shapes", "hello_model", "hello_sampling", "sampling", "train",
                     "hidden_states", "hidden_memory", "captioning", "vqa", "gradient_flow", "gradient_remedies",
                     "memory_task"]  # url paths of the pages
