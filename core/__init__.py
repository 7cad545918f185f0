"""RNN Lab's logic: models, training, sampling and figure builders. Never imports streamlit."""
