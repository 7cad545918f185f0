"""Every categorical palette of the figures stays apart for the common colour-vision deficiencies.

Each palette's colours are simulated as seen with protanopia, deuteranopia and tritanopia (Machado, Oliveira and
Fernandes 2009, severity 1, applied in linear sRGB), and every pair of colours that a figure can show side by side must
still differ by at least ΔE₀₀ = 10 (CIEDE2000), the difference at which two marks read as different categories at a
glance; Okabe and Ito's eight colours, designed for this, keep at least 10.9 under all three. The check itself is
tested: the palette the app used before (plotly's and matplotlib's defaults, red beside green) fails it.

Not checked here: the fills of a graph's nodes (core.plots.style.NODE_COLOURS), which are pale tints behind nodes that
each carry their name (x_t, h_t, y_t, L), and the continuous colour scales (values, not categories).
"""
import itertools

import numpy as np
import pytest

from core.plots.gradients import CELL_COLOURS, RUN_COLOURS
from core.plots.hidden import GATE_COLOURS
from core.plots.style import BAR, COLORWAY, HIGHLIGHT, OKABE_ITO, WEIGHT_COLOURS
from core.plots.vision import HIT, MISS, NEUTRAL

SIMULATIONS = {  # Machado et al. (2009), severity 1.0, on linear RGB
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}
APART = 10.0  # CIEDE2000


def linear_rgb(hex_colour: str) -> np.ndarray:
    srgb = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def lab(linear: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    t = xyz / np.array([0.95047, 1.0, 1.08883])  # D65 white
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> float:
    """Sharma, Wu and Dalal's (2005) formulation of CIEDE2000."""
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    c_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_mean ** 7 / (c_mean ** 7 + 25 ** 7)))
    a1, a2 = (1 + g) * a1, (1 + g) * a2
    c1, c2 = np.hypot(a1, b1), np.hypot(a2, b2)
    h1, h2 = np.degrees(np.arctan2(b1, a1)) % 360, np.degrees(np.arctan2(b2, a2)) % 360
    dh = 0.0 if c1 * c2 == 0 else (h2 - h1 + 180) % 360 - 180
    d_l, d_c, d_h = l2 - l1, c2 - c1, 2 * np.sqrt(c1 * c2) * np.sin(np.radians(dh / 2))
    l_mean, c_mean = (l1 + l2) / 2, (c1 + c2) / 2
    if c1 * c2 == 0:
        h_mean = h1 + h2
    elif abs(h1 - h2) <= 180:
        h_mean = (h1 + h2) / 2
    else:
        h_mean = (h1 + h2 + 360) / 2 if h1 + h2 < 360 else (h1 + h2 - 360) / 2
    t = (1 - 0.17 * np.cos(np.radians(h_mean - 30)) + 0.24 * np.cos(np.radians(2 * h_mean))
         + 0.32 * np.cos(np.radians(3 * h_mean + 6)) - 0.20 * np.cos(np.radians(4 * h_mean - 63)))
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / np.sqrt(20 + (l_mean - 50) ** 2)
    s_c, s_h = 1 + 0.045 * c_mean, 1 + 0.015 * c_mean * t
    r_t = (-2 * np.sqrt(c_mean ** 7 / (c_mean ** 7 + 25 ** 7))
           * np.sin(np.radians(60 * np.exp(-(((h_mean - 275) / 25) ** 2)))))
    return float(np.sqrt((d_l / s_l) ** 2 + (d_c / s_c) ** 2 + (d_h / s_h) ** 2 + r_t * (d_c / s_c) * (d_h / s_h)))


def seen(hex_colour: str, deficiency: str | None) -> np.ndarray:
    linear = linear_rgb(hex_colour)
    return lab(linear if deficiency is None else np.clip(np.array(SIMULATIONS[deficiency]) @ linear, 0, 1))


def closest_pair(palette, deficiency):
    return min((ciede2000(seen(a, deficiency), seen(b, deficiency)), a, b)
               for a, b in itertools.combinations(sorted(set(palette)), 2))


PALETTES = {  # every set of colours one figure can show side by side as different categories
    "the template's colorway (traces without a colour of their own)": COLORWAY,
    "weight matrices and roles": list(WEIGHT_COLOURS.values()) + [HIGHLIGHT],
    "cells in the gradient-flow figures": list(CELL_COLOURS.values()) + [HIGHLIGHT],
    "runs side by side": RUN_COLOURS,
    "LSTM and GRU gates": list(GATE_COLOURS.values()),
    "captioning and VQA: found, missed, not judged, other bars": [HIT, MISS, NEUTRAL, BAR, HIGHLIGHT],
}


def test_the_reference_values_of_ciede2000():
    """Sharma et al.'s test pairs (their table 1, rows 1, 7 and 17)."""
    pairs = [((50, 2.6772, -79.7751), (50, 0, -82.7485), 2.0425), ((50, 0, 0), (50, -1, 2), 2.3669),
             ((50, 2.5, 0), (73, 25, -18), 27.1492)]
    for lab1, lab2, expected in pairs:
        assert ciede2000(np.array(lab1), np.array(lab2)) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("deficiency", [None, *SIMULATIONS])
@pytest.mark.parametrize("name", PALETTES)
def test_every_categorical_palette_stays_apart(name, deficiency):
    distance, a, b = closest_pair(PALETTES[name], deficiency)
    seen_by = deficiency or "full colour vision"
    assert distance >= APART, f"{name}: {a} and {b} differ by only ΔE₀₀ {distance:.1f} with {seen_by}"


def test_the_check_catches_the_palettes_the_app_used_before():
    before = {"weights": ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"], "hit and miss": ["#1a9850", "#d73027"]}
    assert closest_pair(before["weights"], "protanopia")[0] < APART  # blue and purple: nearly one colour
    assert closest_pair(before["hit and miss"], "deuteranopia")[0] < APART  # green and red
    assert closest_pair(list(OKABE_ITO.values()), "deuteranopia")[0] >= APART
