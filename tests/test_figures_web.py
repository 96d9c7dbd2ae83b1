"""The live canvas (theory_lib/figures/web.py): the kernel's frames and the strips the browser paints.

What the browser shows must be the figure's state drawn from scratch (``render``): every kernel
frame, and every strip frame once painted over its strip's base, pixel for pixel. A move the
browser already painted from a strip updates the state without a frame; another control's move
drops the strip.
"""

from __future__ import annotations

import asyncio
import io

import numpy as np
import pytest
from PIL import Image

from theory_lib.figures import web
from theory_lib.figures.base import FIGURES, figure_classes
from theory_lib.figures.controls import Slider

figure_classes()


def _decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def _render(fig, **params) -> np.ndarray:
    state = fig.state()
    layout = {k: state[k] for k in ("layout_params", "layout_dpi", "figsize", "layout_figsize")}
    return type(fig).render({**fig.params, **params}, dpi=state["dpi"], **layout)


def _painted(base: np.ndarray, at, png: bytes) -> np.ndarray:
    """What the browser's canvas shows: the base, then the layer drawn over it at ``at``."""
    layer = _decode(png)
    out = base.copy()
    (x, y), (h, w) = at, layer.shape[:2]
    opaque = layer[..., 3] == 255
    assert ((layer[..., 3] == 0) | opaque).all(), "a layer pixel is neither the base nor the frame"
    out[y : y + h, x : x + w][opaque] = layer[opaque]
    return out


def _live(name):
    fig = FIGURES[name]()
    fig.widget()
    return fig, fig._view


def test_every_kernel_frame_is_the_state_drawn_from_scratch():
    fig, view = _live("softmax.RepeatedSoftmaxFigure")
    try:
        for temperature in (1.2, 0.3, 2.0):  # 0.3 moves the limits: a full draw
            fig.update(temperature=temperature)
            frame = _decode(view.frame)
            assert view.size == [frame.shape[1], frame.shape[0]]
            assert np.array_equal(frame, _render(fig))
    finally:
        fig.close()


@pytest.mark.parametrize(
    "name, control", [("smoothing.KinkFigure", "k"), ("rnn.BoundFigure", "weight_scale"), ("angles.LaplaceFigure", "n")]
)
def test_a_strip_frame_painted_over_its_base_is_that_state_drawn_from_scratch(name, control):
    fig, view = _live(name)
    try:
        frames = view.strip_frames(control)
        grid = web._positions(fig.controls[control], view.controls[control], view.positions[control])
        assert [(key, value) for key, value, _, _ in frames] == grid
        base = frames[0][2]
        for _, value, pixels, readout in frames[:: max(1, len(frames) // 6)]:
            at, png = web._layer(base, pixels)
            assert np.array_equal(_painted(base, at, png), pixels)
            assert np.array_equal(pixels, _render(fig, **{control: value})), f"{control} = {value}"
            assert readout == type(fig)(offscreen=True, **{**fig.params, control: value}).readout
        assert fig.readout == type(fig)(offscreen=True, **fig.params).readout, "the strip left its readout behind"
    finally:
        fig.close()


@pytest.mark.parametrize("name, control", [("performer.VarianceFigure", "m"), ("vae.VaeEssFigure", "d")])
def test_a_selection_at_its_first_option_is_read_as_the_page_reads_it(name, control):
    """ipywidgets leaves a SelectionSlider made at index 0 with label "": the kernel read that, the page
    read "1", so every other slider's strip held a key the page never matched (and, believing the page
    covered, the kernel sent no frame): lesson 10's and 19's sliders painted nothing while dragged."""
    fig, view = _live(name)
    try:
        ctrl = view.controls[control]
        assert ctrl.index == 0
        assert view.position_key(control) == ctrl._options_labels[0] == str(fig.params[control])
        other = next(n for n in view.controls if n != control and web._positions(fig.controls[n], view.controls[n], {}))
        assert view._others(other)[control] == ctrl._options_labels[0]
    finally:
        fig.close()


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_every_slider_is_short_enough_for_a_strip(name):
    """A slider with more than STRIP_MAX_POSITIONS positions gets no strip: every move would wait for the
    kernel (lesson 17's λ and c had 40001 and painted 6 of 137 values in a drag)."""
    for control, spec in FIGURES[name].controls.items():
        if isinstance(spec, Slider):
            ctrl = spec.widget(control)
            grid = web._positions(spec, ctrl, web._key_spec(ctrl), web.STRIP_MAX_POSITIONS)
            assert grid is not None, f"{name}.{control}: more than {web.STRIP_MAX_POSITIONS} positions"


def test_a_layer_of_an_unchanged_frame_is_empty():
    base = np.full((4, 5, 4), 255, dtype=np.uint8)
    at, png = web._layer(base, base.copy())
    assert _decode(png)[..., 3].max() == 0
    changed = base.copy()
    changed[2, 3] = (1, 2, 3, 255)
    at, png = web._layer(base, changed)
    assert at == (3, 2) and _decode(png).shape[:2] == (1, 1)


class Sent(list):
    def __call__(self, content, buffers=None):
        self.append((content, buffers))


def _run_strip(view, control):
    """Start a strip on an event loop and run it to the end; return what was sent to the browser."""
    sent = view.send = Sent()

    async def go():
        view.start_strip(control)
        while view.queue:
            await asyncio.sleep(0)

    asyncio.run(go())
    return sent


def test_a_strip_is_sent_nearest_first_in_batches_and_a_covered_move_sends_no_frame():
    fig, view = _live("smoothing.KinkFigure")
    try:
        sent = _run_strip(view, "k")
        assert sent and sent[0][0]["base"] and all(not c["base"] for c, _ in sent[1:])
        keys = [f["key"] for c, _ in sent for f in c["frames"]]
        grid = view.controls["k"]._options_labels
        assert sorted(keys) == sorted(grid)
        here = grid.index(view.position_key("k"))
        distance = [abs(grid.index(k) - here) for k in keys]
        assert distance == sorted(distance), "nearest positions first"
        assert sum(len(b) for _, b in sent) == 1 + len(keys)  # the base, then one layer per position

        label = grid[here + 1]
        assert not view.covers("k") or view.position_key("k") != label
        view._on_browser_msg(view, {"type": "strip_ready", "id": view.strips["k"]["id"], "keys": keys}, [])
        before = view.frame
        view.controls["k"].label = label  # what the browser's move does
        assert fig.params["k"] == view.controls["k"].value and view.frame == before, "a covered move sent a frame"
        assert fig._readout_widget.value == fig.readout
        assert view.covers("k")
        view.cancel_strips()  # what a new screen ratio (dpi) does: the frames no longer fit
        assert not view.covers("k")

        other = FIGURES["softmax.RepeatedSoftmaxFigure"]()  # a figure with two sliders: the strip is dropped
        other.widget()
        sent = _run_strip(other._view, "temperature")
        strip = other._view.strips["temperature"]
        other._view._on_browser_msg(other._view, {"type": "strip_ready", "id": strip["id"], "keys": [0]}, [])
        other.update(n=other.params["n"] + 1)  # from code: the widgets follow, the strip no longer fits
        assert not other._view.covers("temperature")
        other.close()
    finally:
        fig.close()


def test_a_figure_that_prepares_gets_the_coming_positions_before_each_strip_frame(monkeypatch):
    """prepare_strip(control, values): the next STRIP_PREPARE positions, nearest first, before each frame
    is drawn (lesson 07 computes them in one batch), so a frame never waits for a position alone."""
    monkeypatch.setattr(web, "STRIP_PREPARE", 3)
    fig, view = _live("smoothing.KinkFigure")
    asked, drawn = [], []
    fig.prepare_strip = lambda control, values: asked.append((control, list(values)))
    real = view._render_at
    monkeypatch.setattr(view, "_render_at", lambda name, value: drawn.append(value) or real(name, value))
    try:
        _run_strip(view, "k")
        assert len(asked) == len(drawn) and all(c == "k" for c, _ in asked)
        for i, (_, values) in enumerate(asked):
            assert values == drawn[i : i + 3], "the frame to draw, then the next two"
    finally:
        fig.close()


def test_no_strip_outside_an_event_loop_or_for_a_control_with_too_many_positions(monkeypatch):
    fig, view = _live("smoothing.KinkFigure")
    try:
        view.start_strip("k")  # no running loop: a script or a test
        assert view.strips == {}
        monkeypatch.setattr(web, "STRIP_MAX_POSITIONS", 3)
        assert _run_strip(view, "k") == [] and view.strips == {}
    finally:
        fig.close()


def test_a_value_the_page_echoes_back_starts_no_strip():
    """The browser may send a slider's value back unchanged when it renders: no strip for that."""
    fig, view = _live("smoothing.KinkFigure")
    started = []
    view.start_strip = started.append
    try:
        ctrl = fig._controls["k"]
        handler = fig._on_change("k")
        handler({"new": ctrl.value, "old": ctrl.value})
        assert started == []
        ctrl.label = ctrl._options_labels[0]  # a learner's move (the observer runs the same handler)
        assert started == ["k"]
    finally:
        fig.close()


def _idle(view, seconds: float, *, visible: bool = True, move=None):
    """Show the view (or not), wait ``seconds`` on an event loop, then let the strips run out."""
    sent = view.send = Sent()

    async def go():
        view.visible = visible
        if move:
            move()
        await asyncio.sleep(seconds)
        while view.queue and view.visible:
            await asyncio.sleep(0)

    asyncio.run(go())
    return sent


def _sliders(view):
    return [name for name in view.controls if web._positions(view.figure.controls[name], view.controls[name], {})]


def test_a_figure_on_screen_and_left_alone_gets_every_sliders_strip(monkeypatch):
    """Prefetch: after PREFETCH_IDLE_S on screen, each slider's strip (the first move paints from the
    browser too); off screen, none; another control's move makes a strip stale, and the next idle
    spell draws it again at the new setting."""
    monkeypatch.setattr(web, "PREFETCH_IDLE_S", 0.01)
    monkeypatch.setattr(web, "STRIP_BUDGET_S", 0.05)  # a few frames each: the order is what is tested
    fig, view = _live("softmax.RepeatedSoftmaxFigure")
    try:
        view.visible = False
        assert _idle(view, 0.1, visible=False) == [] and view.strips == {}, "a figure off screen got strips"
        sliders = _sliders(view)
        assert set(sliders) == {"n", "seed", "steps", "temperature"}
        sent = _idle(view, 0.1)
        assert set(view.strips) == set(sliders) and all(s.get("finished") for s in view.strips.values())
        assert {c["control"] for c, _ in sent} == set(sliders), "a slider's strip was not sent"
        first = {name: s["id"] for name, s in view.strips.items()}

        view.visible = False  # the move comes from code: the widgets follow, the strips of the others go stale
        fig.update(steps=fig.params["steps"] + 1)
        assert all(view.strips[n]["others"] != view._others(n) for n in sliders if n != "steps")
        _idle(view, 0.1)
        again = {name: s["id"] for name, s in view.strips.items()}
        assert again["steps"] == first["steps"], "the moved slider's own strip still holds: not redrawn"
        assert all(again[n] != first[n] for n in sliders if n != "steps"), "a stale strip was not redrawn"
        assert all(view.strips[n]["others"] == view._others(n) for n in sliders)
    finally:
        fig.close()


def test_the_learners_strip_goes_before_the_prefetched_ones(monkeypatch):
    monkeypatch.setattr(web, "PREFETCH_IDLE_S", 0.01)
    fig, view = _live("softmax.RepeatedSoftmaxFigure")
    view.send = Sent()
    try:

        async def go():
            view.visible = True  # starts the idle timer: fire it now
            view._idle.cancel()
            view._prefetch()  # every slider's strip queued
            queued = [s["control"] for s in view.queue]
            view.start_strip("temperature")  # the learner moves: that strip first, the timer restarted
            order = [s["control"] for s in view.queue]
            view.drop_strips()
            return queued, order

        queued, order = asyncio.run(go())
        assert queued == _sliders(view)
        assert order[0] == "temperature" and sorted(order) == sorted(queued)
        assert view.send[-1][0] == {"type": "drop"} and view.strips == {}
    finally:
        fig.close()


def test_a_prefetched_strip_is_short_until_the_learner_moves_its_slider(monkeypatch):
    """A strip nobody asked for stops at PREFETCH_BUDGET_S (here: after one frame); the learner's
    move of its slider lets the same strip go on to the end, with no frame drawn twice."""
    monkeypatch.setattr(web, "PREFETCH_BUDGET_S", 0.0)
    fig, view = _live("smoothing.KinkFigure")
    view.send = Sent()
    try:

        async def go():
            view.visible = True
            view.start_strip("k", prefetch=True)
            while view.queue:
                await asyncio.sleep(0)
            s = view.strips["k"]
            cut = (len(s["sent"]), len(s["todo"]), s.get("finished"))
            view.start_strip("k")  # the learner moves k
            while view.queue:
                await asyncio.sleep(0)
            view.drop_strips()
            return cut, s

        (sent, left, finished), s = asyncio.run(go())
        assert sent == 1 and left > 0 and finished, "the prefetched strip was not cut at its budget"
        keys = [key for key, _, _ in s["sent"]]
        assert not s["todo"] and len(keys) == len(set(keys)) == sent + left, "the strip did not go on, or redrew"
    finally:
        fig.close()


def test_a_page_that_missed_messages_gets_the_frame_again_and_no_stale_strip(monkeypatch):
    """web.js mends a model anywidget gave up on (it dropped the kernel's messages) and sends
    "resend": the kernel sends its frame and size again, even unchanged, and drops the strips the
    page never received (it would wait for their frames)."""
    fig, view = _live("softmax.RepeatedSoftmaxFigure")
    try:
        assert view.own_id == view.model_id  # how the page finds its own model
        sent_state, sent = [], []
        monkeypatch.setattr(view, "send_state", lambda key=None: sent_state.append(key))
        monkeypatch.setattr(view, "send", lambda content, buffers=None: sent.append(content))
        view.strips = {"temperature": {"id": 1, "cancelled": False}}
        view._on_browser_msg(view, {"type": "resend"}, [])
        assert sent_state == [["size", "frame"]]
        assert view.strips == {} and {"type": "drop"} in sent
        assert _decode(view.frame).shape[:2] == (view.size[1], view.size[0])
    finally:
        fig.close()
