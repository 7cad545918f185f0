"""Every page of the app, in the lecture's order: the router builds the navigation from this list and
the home page its map, so a page is added in one place (not a page itself)."""
from typing import NamedTuple


class PageInfo(NamedTuple):
    """One page: its file, title and icon, a tooltip, and one line on what you do there."""

    file: str
    title: str
    icon: str
    tooltip: str
    line: str


SECTIONS: dict[str, list[PageInfo]] = {
    "Start": [PageInfo("pages/home.py", "Home", ":material/home:", "", "")],
    "RNN basics": [
        PageInfo("pages/rnn_shapes.py", "The recurrence and its shapes", ":material/replay:",
                 "Unrolled computational graphs for one-to-one, one-to-many, many-to-one and many-to-many RNNs.",
                 "Pick a shape (captioning, sentiment, translation, video) and a length; the unrolled graph redraws, "
                 "showing where inputs enter, where outputs and losses leave, and what h₀ and h_T are."),
        PageInfo("pages/hello_model.py", "The “hello” model", ":material/abc:",
                 "The lecture's character-level model with vocabulary [h, e, l, o], trained live.",
                 "Train the lecture's 3-unit character model on “hello” step by step, watch every layer at every time "
                 "step, and edit its weights by hand."),
        PageInfo("pages/hello_sampling.py", "Test-time sampling", ":material/casino:",
                 "Generate from the “hello” model: sample from the softmax or take the argmax, seeded.",
                 "Start from “h” and feed each choice back in. See when a sample picks a character that is not the "
                 "most probable one, and why sampling gives diverse text where argmax always writes the same."),
    ],
    "Language models": [
        PageInfo("pages/sampling.py", "Sampling & temperature", ":material/thermostat:",
                 "A character model trained on Shakespeare or Python code writes; you move the temperature.",
                 "Move the temperature and watch the same random numbers give argmax loops, plausible text or noise; "
                 "see the softmax behind each character and compare the LSTM with a vanilla RNN."),
        PageInfo("pages/train.py", "Train your own", ":material/model_training:",
                 "Train an RNN, LSTM or GRU on Shakespeare, Python or your own text, in the background.",
                 "Pick a corpus (or upload one), a cell and its size, the chunk length of truncated backpropagation "
                 "and the clipping; watch the loss fall and the samples turn from noise into words."),
        PageInfo("pages/gallery.py", "Class gallery", ":material/leaderboard:",
                 "Every model trained on this server, scored on the same held-out text.",
                 "See which settings won: every student's model ranked by its loss on the same held-out text, with "
                 "what it writes, who trained it and a link that opens it."),
    ],
    "Inside the model": [
        PageInfo("pages/hidden_states.py", "Hidden states", ":material/grid_on:",
                 "Which units of a trained model fire where, and what they track.",
                 "The finder ranks units by how closely they follow line position, brackets, quotes, comments or "
                 "speaker names; colour the text by any unit, and search for the units that fire on a span you mark."),
        PageInfo("pages/hidden_memory.py", "Gates, guesses & memory", ":material/memory:",
                 "LSTM gate saturation, the top-5 next-character guesses, and how far back a prediction reaches.",
                 "See which gates act as switches, what the model expects after each character, and how the gradient "
                 "of one prediction reaches much further back in an LSTM than in a vanilla RNN."),
    ],
    "Images and words": [
        PageInfo("pages/captioning.py", "Captioning & attention", ":material/center_focus_strong:",
                 "A CNN's features into an LSTM that describes the image; see where it looks for every word.",
                 "Caption a generated scene, a sample photo or your own image; step through the words and watch soft "
                 "and hard attention move over the image, scored against the true objects, beside what the CNN sees."),
        PageInfo("pages/vqa.py", "Visual question answering", ":material/quiz:",
                 "A CNN's summary of the image and an LSTM's summary of the question, fused into an answer.",
                 "Ask about a scene (“what shape is the object closest to the red object?”), see each model's answer "
                 "and top five, where the attention model's two hops look, and how much the ablations can guess."),
    ],
    "Gradient flow": [
        PageInfo("pages/gradient_flow.py", "Vanishing & exploding gradients", ":material/trending_down:",
                 "Move the spectral radius of W_hh and watch ‖∂L/∂h_t‖ vanish or explode; RNN, LSTM and GRU.",
                 "Drag ρ and watch the gradient on its way back through time; see the mechanism (a product of "
                 "Jacobians against the LSTM's product of forget gates) and the eigenvalues of W_hh."),
        PageInfo("pages/gradient_remedies.py", "Clipping & truncated BPTT", ":material/content_cut:",
                 "The same exploding run with and without clipping; what truncated backpropagation can learn.",
                 "Train one exploding run unclipped, clipped by norm and by value; see where truncated BPTT cuts the "
                 "gradient, and that a dependency longer than the chunk is never learned."),
        PageInfo("pages/memory_task.py", "Long memory: RNN against LSTM", ":material/psychology:",
                 "Train a vanilla RNN and an LSTM to remember a symbol through a lag of noise.",
                 "Pick a lag and an optimiser, train both models live, and compare with the measured accuracy-vs-lag "
                 "curves: the outcome depends on the cell and on the optimiser."),
    ],
}
