"""The character-level language model: corpora, vocabulary, RNN/LSTM/GRU models, training, sampling."""
