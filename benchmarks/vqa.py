"""Time to answer one question about one uploaded image and draw the attention maps, with the shipped VQA models.

    python -m benchmarks.vqa [--repeats 7] [--device auto|cpu|cuda]

An upload (the captioning benchmark's 1,024 × 1,024 JPEG of a held-out four-object scene) goes through the page's
path: the safe loader, the frozen encoder (EfficientNet-Lite0), then the attention model reads a relational
question and its two hop maps are upsampled for display. Prints the median of each part, the total against the goal
(≤ 0.3 s on 2 cores), and all four models' answers together (what the page computes).
"""
from __future__ import annotations

import argparse
import sys

from benchmarks.captioning import encoded_upload
from benchmarks.timing import timed
from core.checkpoints import load_checkpoint
from core.flags import add_device_flag, device_from_flags
from core.runtime import configure_torch
from core.vision.explain import upsample
from core.vision.shipped import available_vqa_models
from core.vision.vqa import reply

QUESTION = "what shape is the object furthest from the large object?"  # the scene's generated one: circle


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    add_device_flag(parser)
    args = parser.parse_args(argv)
    device = device_from_flags(parser, args)
    threads = configure_torch()
    models = {k: load_checkpoint(m.path).model.to(device) for k, m in available_vqa_models().items()}
    if "attention" not in models:
        sys.exit("The shipped VQA models are missing from assets/: see assets/reproduce.sh.")
    upload = encoded_upload(args.repeats, device)
    data, load, encode, f = upload.data, upload.load + upload.view, upload.encode, upload.features

    def attention():
        r = reply(models["attention"], f.mid, f.pooled, QUESTION)
        return r, [upsample(m, (112, 112)) for m in r.maps]

    answer, (r, _) = timed(attention, args.repeats, warm_up=True)
    every, _ = timed(lambda: [reply(m, f.mid, f.pooled, QUESTION) for m in models.values()], args.repeats, warm_up=True)
    print(f"one {len(data) / 1e3:.0f} kB 1024 × 1024 JPEG (a four-object scene), {threads} torch threads, "
          f"median of {args.repeats}, on {device}; question: “{QUESTION}”")
    print(f"  load, check and view the upload        {load:7.3f} s   (of which the models' view {upload.view:.3f} s)")
    print(f"  encoder (EfficientNet-Lite0)           {encode:7.3f} s")
    print(f"  attention model: answer + 2 hop maps   {answer:7.3f} s   (answer: {r.best}, p = {r.answers[0][1]:.2f})")
    print(f"  all {len(models)} models' answers (the page)      {every:7.3f} s")
    total = load + encode + answer
    print(f"one answer with its attention map: {total:.3f} s (goal ≤ 0.3 s: {'met' if total <= 0.3 else 'NOT met'}); "
          f"the encoder is {encode / total:.0%} of it")
    print(f"the page's whole computation (load, encode, four models): {load + encode + every:.3f} s")


if __name__ == "__main__":
    main()
