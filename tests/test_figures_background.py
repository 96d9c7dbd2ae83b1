"""Figures that train, driven through their widgets headless (theory_lib/figures/background.py).

Lesson 04's ToyStackFigure, 05's SmoothF1TrainingFigure and 06's LandscapeBNFigure compute a change
in a worker thread: setting a control widget's ``value`` (as the comm handler does) returns at
once; the progress row shows while the worker trains and hides after; a newer setting cancels the
one in progress, and the canvas ends at exactly the picture ``render`` draws for the newest; the
progress hooks change no result; an exception in the worker shows red in the readout.
"""

from __future__ import annotations

import html
import importlib
import json
import time
from dataclasses import dataclass, fields

import numpy as np
import pytest
import torch

from theory_lib import bert_init as bi, smoothing as sm
from theory_lib.batchnorm import landscape_probe, teacher_task
from theory_lib.figures.background import settle


@dataclass
class Case:
    figure: str  # module:class
    cached: str  # the figure module's lru_cached experiment
    maths: str  # module:function, the training each setting runs ``runs`` times
    runs: int
    first: dict  # two settings of different controls, neither cached
    second: dict

    def load(self):
        module, cls = self.figure.split(":")
        mod = importlib.import_module(module)
        return getattr(mod, cls), getattr(mod, self.cached)


CASES = {
    "ToyStack": Case(
        "theory_lib.figures.bert_init:ToyStackFigure",
        "toy_experiment",
        "theory_lib.bert_init:train_loss_curves",
        1,
        {"depth": 9},
        {"warmup": 70},
    ),
    "LandscapeBN": Case(
        "theory_lib.figures.batchnorm:LandscapeBNFigure",
        "probe_run",
        "theory_lib.batchnorm:landscape_probe",
        2,
        {"mean": 1.5},
        {"lr": 0.03},  # a new no-BN run as well: had the first setting's finished, three would complete
    ),
    "SmoothF1": Case(
        "theory_lib.figures.smoothing.f1_training:SmoothF1TrainingFigure",
        "f1_experiment",
        "theory_lib.smoothing:train_linear_classifier",
        2,
        {"seed": 7},
        {"separation": 2.5},
    ),
}


@pytest.fixture(params=list(CASES))
def case(request):
    return CASES[request.param]


def _open(case, lang: str = "en"):
    """A fresh figure (its experiment's cache cleared) with its widget and a first full draw."""
    cls, cached = case.load()
    cached.cache_clear()
    fig = cls(lang=lang)
    box = fig.widget()
    fig.fig.canvas.draw()  # fixes the layout and caches the background, as the browser's first draw does
    return fig, dict(zip(cls.controls, box.children[0].children, strict=True)), fig._worker


def _wait_until(condition, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.002)
    return True


def _count_runs(monkeypatch, case) -> list:
    """Patch the case's training function to record each run that completes."""
    module, name = case.maths.split(":")
    mod = importlib.import_module(module)
    original, done = getattr(mod, name), []

    def counted(*args, **kwargs):
        out = original(*args, **kwargs)
        done.append(1)
        return out

    monkeypatch.setattr(mod, name, counted)
    return done


def _state(fig) -> dict:
    return json.loads(html.unescape(fig._state_widget.value))


def _same(a, b) -> bool:
    """Equal to the bit: arrays, tensors, dataclasses, dicts and tuples of them (NaN equal to NaN)."""
    if isinstance(a, torch.Tensor):
        return a.dtype == b.dtype and a.shape == b.shape and bool(torch.equal(a.nan_to_num(7.0), b.nan_to_num(7.0)))
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a if k != "seconds")  # a timing
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if hasattr(a, "__dataclass_fields__"):
        return all(_same(getattr(a, f.name), getattr(b, f.name)) for f in fields(a))
    return a == b


def test_progress_shows_while_the_worker_trains_and_hides_after(case, monkeypatch):
    """The comm handler returns at once; while the worker trains the state says busy and the bar,
    then the status line, show and move; after, the bar hides and the state is the new setting's.
    The results computed under the progress hooks equal those computed without (to the bit)."""
    fig, widgets, worker = _open(case)
    previews = []
    if hasattr(fig, "draw_preview"):  # lesson 04: the loss curves grow while the networks train
        draw_preview = type(fig).draw_preview
        monkeypatch.setattr(
            type(fig), "draw_preview", lambda self, *a, **k: previews.append(1) or draw_preview(self, *a, **k)
        )
    shown, fractions, statuses, states = [], [], [], []
    worker.row.layout.observe(lambda ch: shown.append((ch["new"], bool(getattr(fig, "_busy", None)))), "display")
    worker.bar.observe(lambda ch: fractions.append(ch["new"]), "value")
    worker.status.observe(lambda ch: statuses.append(ch["new"]), "value")
    fig._state_widget.observe(lambda ch: states.append(json.loads(html.unescape(ch["new"]))), "value")
    try:
        (control, value), before = next(iter(case.first.items())), dict(fig.params)
        t0 = time.monotonic()
        widgets[control].value = value
        handler_s = time.monotonic() - t0
        assert fig.params == before, "the comm handler drew the new setting itself"
        assert handler_s < 0.5, f"the comm handler took {handler_s:.3f} s"
        assert settle(fig, 120), "the worker did not finish within 120 s"
        assert fig.params == {**before, control: value}
        assert shown[0] == ("flex", True) and shown[-1] == ("none", False), shown
        assert worker.row.layout.display == "none" and worker.status.value == ""
        assert len(set(fractions) - {0.0}) >= 2 and max(fractions) > 0.5, fractions
        assert any(f"{control} = {value}" in s and "computing" in s for s in statuses), statuses[:3]
        assert states[0]["busy"][control] == value and states[0]["params"] == before, states[0]
        assert "busy" not in states[-1] and states[-1]["params"] == fig.params == _state(fig)["params"]
        assert "#b00" not in fig._readout_widget.value and fig._readout_widget.value == fig.readout
        if hasattr(fig, "draw_preview"):
            assert previews, "no preview frame while the networks trained"
        # hook against no hook: the worker's cached results, and the same computed headless
        _, cached = case.load()
        with_hook = fig.compute(**fig.params)
        cached.cache_clear()
        assert _same(with_hook, fig.compute(**fig.params)), "the progress hooks changed a result"
    finally:
        fig.close()


def test_progress_speaks_the_figures_language(case):
    """In a Chinese lesson the progress row says what it computes in Chinese: the status line, each
    stage's label and its step count, where a stage lasts long enough to show one (the settings stay
    code: control names and values)."""
    fig, widgets, worker = _open(case, lang="zh")
    statuses = []
    worker.status.observe(lambda ch: statuses.append(ch["new"]), "value")
    try:
        (control, value), *_ = case.first.items()
        widgets[control].value = value
        assert settle(fig, 120), "the worker did not finish within 120 s"
        said = [html.unescape(s) for s in statuses if s]
        assert said, "no progress was shown"
        assert all(s.startswith("<i>正在计算 ") and f"{control} = {value}" in s for s in said), said[:3]
        assert not any(word in s for s in said for word in ("computing", "step", "Adam on", "landscape", "along")), said
    finally:
        fig.close()


def test_a_newer_setting_cancels_the_one_in_progress(case, monkeypatch):
    """Two quick settings of two controls: the first is cancelled mid-training (it completes no
    run), the figure ends at both, and its pixels are a fresh render's of that state."""
    fig, widgets, worker = _open(case)
    runs = _count_runs(monkeypatch, case)
    try:
        (c1, v1), (c2, v2) = next(iter(case.first.items())), next(iter(case.second.items()))
        final = {**fig.params, c1: v1, c2: v2}
        widgets[c1].value = v1
        assert _wait_until(lambda: worker.showing, 60), "no progress for the first setting"
        widgets[c2].value = v2
        assert settle(fig, 120), "the worker did not finish within 120 s"
        assert fig.params == final and _state(fig)["params"] == final and "busy" not in _state(fig)
        assert worker.stats["cancelled"] >= 1 and worker.stats["drawn"] == 1, worker.stats
        assert len(runs) == case.runs, f"{len(runs)} trainings completed; the newest setting needs {case.runs}"
        assert worker.stats["cancel_s"] < 5.0, worker.stats  # the cancelled work stopped soon after
        live = np.asarray(fig.fig.canvas.buffer_rgba())
        ref = type(fig).render(final, dpi=fig.fig.dpi)
        assert live.shape == ref.shape and np.array_equal(live, ref), "the canvas is not the newest setting's picture"
    finally:
        fig.close()


def test_an_exception_in_the_worker_shows_red_in_the_readout(case, monkeypatch):
    """A training that raises: the readout says so in red (as a refused value), the figure, its
    controls and its state stay at the last good setting, and the next change works."""
    fig, widgets, worker = _open(case)
    module, name = case.maths.split(":")

    def broken(*args, **kwargs):
        raise RuntimeError("the training broke (test)")

    monkeypatch.setattr(importlib.import_module(module), name, broken)
    try:
        (c1, v1), (c2, v2) = next(iter(case.first.items())), next(iter(case.second.items()))
        before = dict(fig.params)
        widgets[c1].value = v1
        assert settle(fig, 60)
        readout = fig._readout_widget.value
        assert "color:#b00" in readout and "RuntimeError: the training broke (test)" in readout, readout
        assert fig.params == before and widgets[c1].value == before[c1] and _state(fig)["params"] == before
        assert "busy" not in _state(fig) and worker.row.layout.display == "none" and worker.stats["failed"] == 1
        monkeypatch.undo()
        widgets[c2].value = v2
        assert settle(fig, 120)
        assert fig.params == {**before, c2: v2} and "#b00" not in fig._readout_widget.value
    finally:
        fig.close()


def test_an_update_from_code_cancels_the_setting_in_progress():
    """fig.update() from a cell is synchronous and newer than the widget's setting in progress."""
    fig, widgets, worker = _open(CASES["ToyStack"])
    try:
        widgets["depth"].value = 5
        assert _wait_until(lambda: worker.showing, 60)
        fig.update(warmup=20)
        assert settle(fig, 60)
        assert fig.params["warmup"] == 20 and fig.params["depth"] == 12 and widgets["depth"].value == 12
        assert worker.stats["cancelled"] == 1 and worker.stats["drawn"] == 0 and worker.row.layout.display == "none"
    finally:
        fig.close()


def test_the_progress_hooks_change_no_result():
    """Each training function gives the same bits with a progress hook as without; a hook that
    raises stops the run."""
    calls = []

    def hook(done, total, partial=None):
        calls.append((done, total))

    def stop(done, total, partial=None):
        raise KeyboardInterrupt

    x, y = teacher_task(128, 8, mean=3.0, generator=torch.Generator().manual_seed(0))
    xs, ys = sm.imbalanced_blobs(300, 0.1, 1.5, generator=torch.Generator().manual_seed(0))
    runs = {
        "train_loss_curves": lambda p: bi.train_loss_curves(8, 3, "post", [0.02, 1.0], steps=30, n=32, progress=p),
        "landscape_probe": lambda p: landscape_probe(
            x, y, bn="after", steps=30, batch_size=16, probe_every=4, progress=p
        ),
        "train_linear_classifier": lambda p: sm.train_linear_classifier(
            xs, ys, "f1", steps=60, batch_size=32, generator=torch.Generator().manual_seed(1), progress=p
        ),
    }
    for name, run in runs.items():
        calls.clear()
        assert _same(run(hook), run(None)), f"{name}: the hook changed the result"
        assert len(calls) >= 2 and all(d <= t for d, t in calls), f"{name}: hook calls {calls}"
        with pytest.raises(KeyboardInterrupt):
            run(stop)


def test_the_worker_draws_through_an_instances_own_update():
    """A wrapper put on ``fig.update`` before the widget is built (make bench-browser counts the
    updates so) sees the worker's update, once per drawn setting."""
    cls, cached = CASES["SmoothF1"].load()
    fig = cls()
    seen, update = [], fig.update

    def counted(**params):
        seen.append(params)
        return update(**params)

    fig.update = counted
    try:
        box = fig.widget()
        widgets = dict(zip(cls.controls, box.children[0].children, strict=True))
        widgets["seed"].value = 11
        assert settle(fig, 60)
        assert seen == [fig.params] and fig.params["seed"] == 11
    finally:
        fig.close()
