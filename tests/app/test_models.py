"""What a session may keep: its own models, at most MAX_USER_MODELS of them (memory per student is bounded)."""
from streamlit.testing.v1 import AppTest


def keep_five_models():
    import streamlit as st

    from core.charlm.model import CharConfig, CharRNN
    from core.checkpoints import Checkpoint
    from pages._models import USER_MODELS, add_user_model

    if st.button("add five", key="add"):
        for k in range(5):
            model = CharRNN(CharConfig(vocab_size=3, cell="rnn", hidden_size=4, num_layers=1, embed_size=2))
            add_user_model("run", Checkpoint("charlm", model, ("a", "b", "c"), {"k": k}, {}))
    st.write(list(st.session_state.get(USER_MODELS, {})))


def test_a_session_keeps_only_its_most_recent_models_and_says_so():
    from pages._models import MAX_USER_MODELS

    at = AppTest.from_function(keep_five_models)
    at.run()
    at.button(key="add").click().run()
    assert not at.exception
    kept = at.session_state["my_models"]
    assert len(kept) == MAX_USER_MODELS == 3
    assert list(kept) == ["run (3)", "run (4)", "run (5)"]  # the newest, each under its own label
    assert [ck.metrics["k"] for ck in kept.values()] == [2, 3, 4]
    assert sum("most recent models are kept" in t.value for t in at.toast) == 2
