"""The compiled loops (TorchScript: core/charlm/loops.py, core/vision/steps.py) compute what the same Python code
computes uncompiled. With PYTORCH_JIT=0, torch.jit.script returns each function as it is written, so a subprocess
started that way runs every loop as plain Python; its results must match this process's compiled ones."""
import os
import pickle
import subprocess
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]


def results() -> dict:
    """Samples (with top-k and top-p), analyses and captions (greedy, sampled places) and a captioner's training
    gradients, from small seeded models of every kind."""
    from core.charlm.analysis import analyse, analysis_gates, prepare_text
    from core.charlm.model import CharConfig, CharRNN
    from core.charlm.sample import sample
    from core.charlm.vocab import Vocab
    from core.vision.captioner import CaptionConfig, Captioner, caption_loss, sample_caption

    vocab, out = Vocab(tuple("abcdefghij")), {}
    for cell in ("rnn", "lstm", "gru"):
        torch.manual_seed(1)
        model = CharRNN(CharConfig(vocab_size=10, cell=cell, hidden_size=12, num_layers=2, embed_size=5)).eval()
        s = sample(model, vocab, "abc", 30, (0.0, 0.7, 1.5), seed=3, top_k=4, top_p=0.9)
        prepared = prepare_text("abcabcjihgfedcba" * 3, vocab)
        a = analyse(model, vocab, prepared)
        gates = analysis_gates(model, a, prepared)
        out[cell] = {"chosen": s.chosen, "logits": s.logits, "surprise": torch.from_numpy(a.surprise),
                     **{f"{k}:{name}": torch.from_numpy(v) for k, layer in enumerate(a.layers)
                        for name, v in [("h", layer.h), ("c", layer.c), *gates[k].items()] if v is not None}}
    for attention in ("none", "soft", "hard"):
        torch.manual_seed(2)
        model = Captioner(CaptionConfig(attention=attention, hidden=16, embed=8, attend=8)).eval()
        mid, pooled = torch.randn(2, 152, 14, 14), torch.randn(2, 1280)
        ids, alphas, places = sample_caption(model, mid, pooled, temperature=0.8, seed=5, max_len=10,
                                             location_seed=7 if attention == "hard" else None)
        tokens = torch.randint(3, 12, (2, 7))
        loss = caption_loss(model.train(), mid, pooled, tokens, generator=torch.Generator().manual_seed(1))
        loss.total.backward()
        out[attention] = {"ids": torch.tensor(ids), "loss": loss.total.detach(),
                          **({} if alphas is None else {"alphas": alphas}),
                          **({} if places is None else {"places": places}),
                          **{name: p.grad for name, p in model.named_parameters() if p.grad is not None}}
    return out


def test_the_compiled_loops_compute_what_the_same_code_computes_as_plain_python(tmp_path):
    path = tmp_path / "eager.pkl"
    code = (f"import pickle, sys; sys.path.insert(0, {str(ROOT)!r}); "
            "from tests.core.test_compiled_equals_eager import results; "
            f"pickle.dump(results(), open({str(path)!r}, 'wb'))")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=300,
                   env={**os.environ, "PYTORCH_JIT": "0"})
    eager, compiled = pickle.loads(path.read_bytes()), results()
    assert eager.keys() == compiled.keys()
    for kind, values in compiled.items():
        assert values.keys() == eager[kind].keys(), kind
        for name, value in values.items():
            want = eager[kind][name]
            if value.dtype in (torch.int64, torch.bool):
                assert torch.equal(value, want), f"{kind} {name}"
            else:
                assert torch.allclose(value, want, atol=1e-5, rtol=1e-5), f"{kind} {name}"
