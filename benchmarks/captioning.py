"""Time to caption one uploaded image and draw its attention maps, with the shipped captioners.

    python -m benchmarks.captioning [--repeats 7] [--device auto|cpu|cuda]

An upload (a held-out four-object scene enlarged to a 1,024 × 1,024 JPEG, made here, so the captions are
long ones) goes through the page's path: the safe loader, the models' view of it (core.vision.drawings.upload_view:
padded, converted where it is a drawing that needs it, scaled to 224 px), the frozen encoder (EfficientNet-Lite0),
then each decoder's greedy caption with a map per word, upsampled for display. Prints the median of each part, the
total for the soft-attention model against the goal (≤ 0.5 s on 2 cores), and beam search and the hard model's 8
sampled glimpses for scale; then the encoder, the captions and the glimpses alone and beside a thread running Python,
as on a busy server.
"""
from __future__ import annotations

import argparse
import io
from dataclasses import dataclass

import torch
from PIL import Image

from benchmarks.timing import beside_busy_python, timed
from core.checkpoints import load_checkpoint
from core.flags import add_device_flag, device_from_flags
from core.runtime import configure_torch
from core.vision.drawings import upload_view
from core.vision.encoder import CPU_CHUNK, Encoder, Features
from core.vision.explain import caption_image, hard_glimpses, upsample
from core.vision.images import load_image
from core.vision.shapes import make_scene
from core.vision.shipped import available_captioners


def upload_bytes() -> bytes:
    """A held-out shapes-world scene (four objects, so the caption is a long one) enlarged to 1,024 × 1,024 and
    saved as a JPEG, as a user would upload it."""
    scene = make_scene(1_000_000, count=4)
    buffer = io.BytesIO()
    scene.image.resize((1024, 1024), Image.Resampling.BICUBIC).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


@dataclass(frozen=True)
class EncodedUpload:
    """The benchmark upload taken through the page's first two steps, timed."""

    data: bytes
    load: float  # median seconds: the safe loader
    view: float  # median seconds: the models' view of it (upload_view)
    encode: float  # median seconds: the frozen encoder
    features: Features


def encoded_upload(repeats: int, device: torch.device | None = None) -> EncodedUpload:
    """Load the benchmark upload through the safe loader and encode it (on `device`), each timed (median of
    `repeats`)."""
    data = upload_bytes()
    encoder = Encoder(device)
    load, picture = timed(lambda: load_image(data, "photo.jpg"), repeats, warm_up=True)
    view, seen = timed(lambda: upload_view(picture.image), repeats, warm_up=True)
    encode, features = timed(lambda: encoder.encode([seen.image]), repeats, warm_up=True)
    return EncodedUpload(data, load, view, encode, features)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    add_device_flag(parser)
    args = parser.parse_args(argv)
    device = device_from_flags(parser, args)
    threads = configure_torch()
    models = {k: load_checkpoint(m.path).model.to(device) for k, m in available_captioners().items()}
    upload = encoded_upload(args.repeats, device)
    data, view, encode, features = upload.data, upload.view, upload.encode, upload.features
    load = upload.load + view
    print(f"one {len(data) / 1e3:.0f} kB 1024 × 1024 JPEG (a four-object scene), {threads} torch threads, "
          f"median of {args.repeats}, on {device}")
    print(f"  load, check and view the upload    {load:7.3f} s   (of which the models' view {view:.3f} s)")
    print(f"  encoder (EfficientNet-Lite0)       {encode:7.3f} s")
    decode = {}
    with torch.inference_mode():
        for key, model in models.items():
            def run(model=model):
                c = caption_image(model, features)
                return c, [] if c.maps is None else [upsample(m, (112, 112)) for m in c.maps]
            decode[key], (caption, _) = timed(run, args.repeats, warm_up=True)
            print(f"  decoder '{key}': greedy caption + maps {decode[key]:7.3f} s   ({len(caption.words)} words)")
        if "soft" in models:
            beam, _ = timed(lambda: caption_image(models["soft"], features, "beam", beam=5), args.repeats, warm_up=True)
            print(f"  decoder 'soft': beam search, k = 5  {beam:7.3f} s")
        if "hard" in models:
            words = caption_image(models["hard"], features).words
            glimpse, _ = timed(lambda: hard_glimpses(models["hard"], features, words, samples=8), args.repeats,
                               warm_up=True)
            print(f"  decoder 'hard': 8 sampled glimpses  {glimpse:7.3f} s")
    if "soft" in decode:
        total = load + encode + decode["soft"]
        print(f"caption + maps, soft attention: {total:.3f} s (goal ≤ 0.5 s: {'met' if total <= 0.5 else 'NOT met'}); "
              f"the encoder is {encode / total:.0%} of it")
        everything = load + encode + sum(decode.values())
        print(f"the page's three captions together: {everything:.3f} s")
    with torch.inference_mode():
        image = upload_view(load_image(data, "photo.jpg").image).image
        encoder = Encoder(device)
        move = [("encoder", lambda: encoder.encode([image])),
                ("three greedy captions", lambda: [caption_image(m, features) for m in models.values()])]
        if "hard" in models:
            move.append(("8 sampled glimpses", lambda: hard_glimpses(models["hard"], features, words, samples=8)))
        for label, fn in move:
            fn()
            alone, busy = beside_busy_python(fn)
            print(f"{label}: alone {alone * 1000:.0f} ms, beside a thread running Python {busy * 1000:.0f} ms "
                  f"(a busy server; compiled and traced loops hold no GIL)")
        if device.type == "cpu":  # what building a training or test set's features costs, a batch of 64 scenes
            x = encoder.preprocess([make_scene(1_000_000 + k).image for k in range(64)])
            whole, _ = timed(lambda: encoder._features(x), max(1, args.repeats // 2), warm_up=True)
            chunked, _ = timed(lambda: [encoder._features(x[i:i + CPU_CHUNK]) for i in range(0, 64, CPU_CHUNK)],
                               max(1, args.repeats // 2), warm_up=True)
            print(f"encoding 64 scenes: at once {whole / 64 * 1000:.1f} ms a scene, {CPU_CHUNK} at a time (what "
                  f"Encoder.encode does on a CPU) {chunked / 64 * 1000:.1f} ms a scene: {whole / chunked:.1f}x faster")


if __name__ == "__main__":
    main()
