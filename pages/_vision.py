"""What the image pages share (not a page itself): the pretrained CNN, the shipped captioners and VQA models, loaded
once per server; an image picker (a generated scene, a sample photo, or an upload through the one safe
loader) whose picture carries a short key naming its pixels; and, cached by that key and shared by every session,
the scene, the picture as the figures embed it, and its features."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import streamlit as st
from PIL import Image

from core.checkpoints import Checkpoint
from core.plots.vision import ShownImage, shown_image
from core.vision.drawings import UploadView, upload_view
from core.vision.encoder import Encoder, Features, class_names
from core.vision.images import MAX_BYTES, ImageError, LoadedImage, load_image, model_view
from core.vision.shapes import SIZE, Scene, make_scene
from core.vision.shipped import available_captioners, available_vqa_models
from pages._common import LINK, device, plain
from pages._compose import compose_scene
from pages._models import shipped_checkpoint

SOURCES = ("Generated scene", "Sample photo", "Upload an image", "Compose a scene")
PHOTOS = {"a cat (Chelsea)": "chelsea", "a cup of coffee": "coffee", "an astronaut": "astronaut",
          "a rocket": "rocket", "the Hubble deep field": "hubble_deep_field"}  # scikit-image's data module
UPLOAD_TYPES = ["png", "jpg", "jpeg", "gif", "webp", "bmp", "tif", "tiff"]


@st.cache_resource(show_spinner="Loading the pretrained CNN (EfficientNet-Lite0)…")
def encoder() -> Encoder:
    """The frozen ImageNet encoder, one per server process, on the server's device, used read-only."""
    return Encoder(device())


@st.cache_resource
def imagenet_names() -> list[str]:
    """The 1,000 ImageNet class names."""
    return class_names()


def captioners() -> dict[str, Checkpoint]:
    """The shipped captioners that are present, by decoder ("soft", "hard", "none")."""
    return {key: shipped_checkpoint(str(m.path)) for key, m in available_captioners().items()}


def vqa_models() -> dict[str, Checkpoint]:
    """The shipped VQA models that are present, by kind ("attention", "lecture", "question", "image")."""
    return {key: shipped_checkpoint(str(m.path)) for key, m in available_vqa_models().items()}


@dataclass(frozen=True)
class Picture:
    """The image a page works on, the scene behind it when it is a generated one, and `key`: a short name of its
    pixels ("scene:seed:count", "photo:name", "upload:sha1 of the file") under which everything computed from it
    is cached; two different pictures never share a key."""

    image: Image.Image
    scene: Scene | None
    name: str
    key: str


@st.cache_resource(max_entries=256, ttl=3600, show_spinner=False)
def scene(seed: int, count: int | None) -> Scene:
    """Generated scene `seed` with `count` objects (None: the seed decides), drawn once (~15 ms), shared read-only."""
    return make_scene(seed, count)


@st.cache_resource(max_entries=8, show_spinner=False)
def photo(name: str) -> Image.Image:
    """A photo from scikit-image's data module (shipped with the package, nothing downloaded), as the models see it
    (core.vision.images.model_view)."""
    import skimage.data

    return model_view(Image.fromarray(getattr(skimage.data, name)()).convert("RGB"))


@st.cache_resource(max_entries=16, ttl=3600, show_spinner="Reading the image…")
def decoded(data: bytes, name: str) -> tuple[LoadedImage, UploadView, str]:
    """An upload through the safe loader, decoded once per distinct file, the models' view of it
    (core.vision.drawings.upload_view), and its key (ImageError is not cached)."""
    loaded = load_image(data, name)
    return loaded, upload_view(loaded.image), "upload:" + hashlib.sha1(data).hexdigest()


@st.cache_resource(max_entries=64, ttl=3600, show_spinner=False)
def features_of(key: str, _image: Image.Image) -> Features:
    """The encoder's view of the picture named `key`, shared read-only."""
    return encoder().encode([_image])


def features(picture: Picture) -> Features:
    """The picture's features, computed once per distinct picture."""
    return features_of(picture.key, picture.image)


@st.cache_resource(max_entries=256, ttl=3600, show_spinner=False)
def shown_of(key: str, _image: Image.Image) -> ShownImage:
    """The picture named `key` as the figures embed it (a PNG data URI, ~20 ms to encode), shared read-only."""
    return shown_image(_image)


def shown(picture: Picture) -> ShownImage:
    """The picture encoded for display, once per distinct picture."""
    return shown_of(picture.key, picture.image)


def pick_image(prefix: str, seed: int = 1_000_000, trained: str = "0–19,999") -> Picture | None:
    """The image picker, starting on generated scene `seed` (`trained`: the seeds the page's models trained on); None
    (with the reason shown) when there is no usable image yet."""
    source = st.radio("Image", SOURCES, horizontal=True, key=f"{prefix}_source", bind=LINK,
                      help="A generated shapes-world scene (the models' own world, with its true objects known), "
                           "a sample photo, your own image, or a scene you compose object by object (its true "
                           "objects known too).")
    if source == SOURCES[0]:
        c1, c2 = st.columns(2)
        seed = c1.number_input("Scene seed", 0, 10**9, value=seed, key=f"{prefix}_scene", bind=LINK, step=1,
                               help="The same seed draws the same scene. Seeds from 1,000,000 up are the held-out "
                                    f"scenes the models were scored on; {trained} are training scenes.")
        counts = ["from the seed", 1, 2, 3, 4]
        count = c2.selectbox("Objects", counts, key=f"{prefix}_count", bind=LINK,
                             help="How many objects the scene has (1 to 4), or let the seed decide.")
        objects = None if count == counts[0] else int(count)
        generated = scene(int(seed), objects)
        return Picture(generated.image, generated, f"scene {int(seed)}", f"scene:{int(seed)}:{objects}")
    if source == SOURCES[3]:
        made = compose_scene(prefix)
        return None if made is None else Picture(made[0].image, made[0], "your scene", made[1])
    if source == SOURCES[1]:
        name = st.selectbox("Photo", list(PHOTOS), key=f"{prefix}_photo", bind=LINK,
                            help="Photos that ship with scikit-image.")
        st.caption("Photos are padded to a square with the colour of their edges and scaled to 224 × 224 pixels: what "
                   "the models see.")
        return Picture(photo(PHOTOS[name]), None, name, f"photo:{PHOTOS[name]}")
    upload = st.file_uploader("Your image", type=UPLOAD_TYPES, key=f"{prefix}_upload",
                              max_upload_size=MAX_BYTES // 1_000_000,
                              help=f"PNG, JPEG, GIF, WebP, BMP or TIFF, up to {MAX_BYTES // 1_000_000} MB.")
    if upload is None:
        st.info("Choose an image file to upload (PNG, JPEG, GIF, WebP, BMP or TIFF), or pick another source above.")
        return None
    try:
        loaded, seen, key = decoded(upload.getvalue(), plain(upload.name))
    except ImageError as e:
        st.error(str(e))
        return None
    notes = [*loaded.notes, *seen.notes()]
    if seen.zoom == 1 and loaded.image.width != loaded.image.height:
        notes.append("padded to a square with the colour of its edges (nothing is cut off)")
    if seen.border:
        notes.append("something touches its edge, so it gets a thin border of that colour all round: the models "
                     "learned from scenes with space around every object")
    if loaded.image.size != (SIZE, SIZE) or seen.border:
        notes.append(f"scaled to {SIZE} × {SIZE} pixels: what the models see")
    if notes:
        st.caption(f"{plain(upload.name)} ({loaded.format}, {loaded.original_size[0]} × {loaded.original_size[1]}): "
                   + "; ".join(notes) + ".")
    return Picture(seen.image, None, upload.name, key)


def what_the_models_know(picture: Picture, task: str, measured: str | None = None) -> None:
    """Under a picture that is not a generated scene: what the shapes-world models can and cannot do with it; `task`
    names what they produce ("captions", "answers"), `measured` what a shipped model scored on drawings in styles it
    never trained on (None when it was not measured)."""
    if picture.scene is not None:
        return
    known = ("The models learned drawn scenes: one to four circles, squares and triangles, small or large, in red, "
             "green, blue, yellow or purple, on a light background, as drawn in a paint program or with markers "
             "on paper.")
    if picture.key.startswith("upload:"):
        tried = measured or f"Drawn in another style than the generated scenes, a scene may get wrong {task}."
        st.info(f"{known} {tried} Anything else gets {task} made of those words all the same, which then do not "
                "describe it.")
    else:
        st.info(f"{known} This is a photo: their {task} use only those words and do **not** describe it.")
