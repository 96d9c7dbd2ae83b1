"""Pixel fidelity: each live canvas must show what a from-scratch Agg render of its figure's state shows.

PNG and pixel helpers, the offscreen reference figures (``References``), the mismatch measure, the
diff image, and ``_await_truth``, which polls a canvas until it matches and saves the browser's
picture, the reference and their difference when it does not.
"""

from __future__ import annotations

import base64
import io
import json
import time
from typing import TYPE_CHECKING

import numpy as np

from tests.browser import CANVAS_CSS, FRAME_S, POLL_S

if TYPE_CHECKING:
    from tests.browser.session import Session

# Fidelity: the canvas must show what a from-scratch Agg render of the figure's state shows. A
# pixel counts as different when a colour channel is off by more than DIFF_LEVEL (of 255), and
# at most FIDELITY_TOL of the pixels may differ. The browser decodes ipympl's PNG frames without
# colour management, so a correct canvas matches to the level (measured: 0 differing pixels in
# every lesson); the tolerance leaves room for a browser that dithers or resamples, while the
# failure modes it must catch change whole axes, labels and legends (lesson 07's race: 9-12 %).
DIFF_LEVEL = 24
FIDELITY_TOL = 0.002


def _png(image_bytes: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(image_bytes)).convert("RGBA"))


def _changed(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of pixels that differ between two images (1.0 if the size changed)."""
    if a.shape != b.shape:
        return 1.0
    return float(np.any(a != b, axis=-1).mean())


def _canvas_pixels(canvas) -> np.ndarray:
    """The pixels ipympl drew, as the learner sees them: the canvas's own backing store (whatever
    the page's scroll), composited over the page's white (a cleared canvas is transparent)."""
    url = canvas.evaluate("(c) => (c.tagName === 'CANVAS' ? c : c.querySelector('canvas')).toDataURL('image/png')")
    rgba = _png(base64.b64decode(url.split(",", 1)[1])).astype(np.float32)
    alpha = rgba[..., 3:] / 255.0
    rgb = rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)
    return np.dstack([np.rint(rgb), np.full(rgb.shape[:2] + (1,), 255.0)]).astype(np.uint8)


def _mismatch(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of pixels whose colour differs by more than DIFF_LEVEL in some channel (1.0 if sizes differ)."""
    if a.shape != b.shape:
        return 1.0
    return float((np.abs(a[..., :3].astype(np.int16) - b[..., :3]).max(axis=-1) > DIFF_LEVEL).mean())


def _png_bytes(pixels: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="png")
    return buf.getvalue()


def _diff_image(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Where a and b differ, in red over a faded b."""
    out = (255 - (255 - b[..., :3].astype(np.int16)) // 4).astype(np.uint8)
    bad = np.abs(a[..., :3].astype(np.int16) - b[..., :3]).max(axis=-1) > DIFF_LEVEL
    out[bad] = (220, 0, 0)
    return np.dstack([out, np.full(out.shape[:2], 255, np.uint8)])


class References:
    """What each live canvas must show: the figure's state drawn on Agg in this process.

    The page carries each figure's state (``InteractiveFigure.state()``: registry name,
    parameters, dpi, and the parameters and dpi at its first full draw, which fixed its layout);
    one offscreen figure per (class, layout, dpi) is updated to that state and drawn in full."""

    def __init__(self):
        from theory_lib.figures import figure_classes

        self.classes = figure_classes()
        self.figures = {}

    def pixels(self, state: dict) -> np.ndarray:
        layout = ("dpi", "figsize", "layout_params", "layout_dpi", "layout_figsize", "lang")
        key = json.dumps([state["figure"]] + [state[k] for k in layout], sort_keys=True)
        if key not in self.figures:
            self.figures[key] = self.classes[state["figure"]].reference(**{k: state[k] for k in layout})
        return self.figures[key].pixels(**state["params"])

    def close(self):
        for fig in self.figures.values():
            fig.close()


def _figure_state(fig) -> dict | None:
    """The state the kernel says this figure shows (its hidden state widget), or None before the first
    draw and while a figure that trains computes a newer setting ("busy": its canvas may show a preview)."""
    text = fig.locator(".tl-figure-state").first.text_content(timeout=10_000) or ""
    state = json.loads(text) if text.strip() else None
    return state if state and state.get("layout_params") is not None and not state.get("busy") else None


def _await_truth(session: Session, fig, fig_no: int, what: str, timeout: float = FRAME_S) -> dict:
    """Poll the canvas until it shows what a fresh Agg render of the figure's state shows.

    Returns the pixels, the time it took and the mismatch; on timeout the browser's picture, the
    reference and their difference are saved next to the screenshots and ``ok`` is False."""
    canvas = fig.locator(CANVAS_CSS).first
    t0, deadline = time.monotonic(), time.monotonic() + timeout
    refs: dict[str, np.ndarray] = {}
    while True:
        state = _figure_state(fig)
        pixels = _canvas_pixels(canvas)
        if state is not None:
            key = json.dumps(state, sort_keys=True)
            if key not in refs:
                refs[key] = session.references.pixels(state)
            ref = refs[key]
            bad = _mismatch(pixels, ref)
            if bad <= FIDELITY_TOL:
                return {"ok": True, "pixels": pixels, "mismatch": bad, "wait_s": time.monotonic() - t0, "state": state}
        if time.monotonic() > deadline:
            break
        time.sleep(POLL_S)
    stem = f"fig{fig_no}-{_slug(what)}"
    if state is None:
        return {
            "ok": False,
            "pixels": pixels,
            "mismatch": 1.0,
            "wait_s": timeout,
            "state": None,
            "problem": f"figure {fig_no} after {what}: the kernel never reported a drawn state",
        }
    session.save(f"{stem}-MISMATCH-browser.png", _png_bytes(pixels))
    session.save(f"{stem}-MISMATCH-reference.png", _png_bytes(ref))
    if pixels.shape == ref.shape:
        session.save(f"{stem}-MISMATCH-diff.png", _png_bytes(_diff_image(pixels, ref)))
    return {
        "ok": False,
        "pixels": pixels,
        "mismatch": bad,
        "wait_s": timeout,
        "state": state,
        "problem": (
            f"figure {fig_no} after {what}: the browser's canvas {pixels.shape[1]}x{pixels.shape[0]} differs "
            f"from the Agg render of its state {ref.shape[1]}x{ref.shape[0]} in {bad:.2%} of the pixels "
            f"(tolerance {FIDELITY_TOL:.2%}) after {timeout} s; state {state['params']}; images: "
            f"{session.out / (stem + '-MISMATCH-*.png')}"
        ),
    }


def _slug(text: str) -> str:
    keep = "".join(c if c.isalnum() else "-" for c in text.lower())
    return "-".join(p for p in keep.split("-") if p)[:40] or "slider"
