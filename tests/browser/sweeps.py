"""Exercise every interactive figure on a lesson's page: a live canvas, its sliders moved, each frame checked.

JupyterLab moves every enabled slider of every figure (a step, then the far end); Voila makes one
move. The problems found (a mismatched frame, a refused value, a move that changed nothing, a blit
redrawn in full anyway) are collected and asserted together at the end.
"""

from __future__ import annotations

import json
import time

from tests.browser import CANVAS_CSS, FIGURE_CSS, RENDER_S
from tests.browser.fidelity import _await_truth
from tests.browser.session import Session, _move


def _exercise_figures(session: Session, at_least: int, every_slider: bool):
    """Every figure is a live canvas that shows its state's picture; sliders moved by the
    keyboard change it, and after each move it shows the new state's picture.

    ``every_slider``: every enabled slider of every figure, a step then the far end (JupyterLab);
    otherwise one move, the far end of the first figure's first enabled slider (Voila)."""
    t0 = time.monotonic()
    page = session.page
    page.wait_for_function(
        "([css, n]) => document.querySelectorAll(css).length >= n", arg=[FIGURE_CSS, at_least], timeout=RENDER_S * 1000
    )
    figures = page.locator(FIGURE_CSS)
    count, since, deadline = -1, time.monotonic(), time.monotonic() + RENDER_S
    while time.monotonic() < deadline:  # until no more figures appear for 2 s
        if figures.count() != count:
            count, since = figures.count(), time.monotonic()
        elif time.monotonic() - since > 2.0:
            break
        time.sleep(0.2)
    for i in range(count):
        canvases = figures.nth(i).locator(CANVAS_CSS)
        try:  # the live canvas (or the static image of the fallback) may still be on its way
            figures.nth(i).locator(CANVAS_CSS).first.wait_for(timeout=RENDER_S * 1000)
        except Exception:
            pass
        assert canvases.count() == 1, (
            f"{session.lesson.name} in {session.app}: figure {i + 1} shows no live canvas "
            "(theory_lib/figures/web.py): see the page's console for the widget's error"
        )
    session.times["render_s"] = time.monotonic() - t0
    session.note(f"{count} interactive figure(s) on the page")

    t0 = time.monotonic()
    problems: list[str] = []
    for i in range(count):
        fig, fig_no = figures.nth(i), i + 1
        fig.evaluate("(el) => el.scrollIntoView({block: 'nearest'})")  # no wait for it to hold still
        canvas = fig.locator(CANVAS_CSS).first
        width, room = fig.evaluate(
            """(f) => [f.querySelector('.tl-canvas canvas').getBoundingClientRect().width,
                      (f.closest('.jp-OutputArea') || document.body).getBoundingClientRect().width]"""
        )
        session.note(
            f"figure {fig_no}: canvas {width:.0f} px wide (toolbar excluded) in a {room:.0f} px output area"
            + (": CUT OFF" if width > room else "")
        )
        sliders = fig.locator(".widget-gridbox").first.locator(".widget-slider")
        assert sliders.count(), f"figure {fig_no} has no slider to move"
        first = _await_truth(session, fig, fig_no, "first render", timeout=RENDER_S)
        if not first["ok"]:
            problems.append(first["problem"])
        session.note(
            f"figure {fig_no}: first render {'matches' if first['ok'] else 'DOES NOT MATCH'} the Agg render "
            f"of its state ({first['mismatch']:.3%} of pixels differ) after {first['wait_s']:.2f} s"
        )
        before = first["pixels"]
        session.shoot(f"fig{fig_no}-00-before.png", canvas)
        session.shoot(f"fig{fig_no}-widget-before.png", fig)
        moves: list[dict] = []
        plan = [("ArrowRight", "ArrowLeft"), ("End", "Home")] if every_slider else [("End", "Home")]
        for j in range(sliders.count() if every_slider or i == 0 else 0):
            slider = sliders.nth(j)
            label = slider.locator(".widget-label").first.inner_text(timeout=10_000).strip() or f"slider {j + 1}"
            if slider.evaluate("(el) => !!el.querySelector('.noUi-target[disabled]')"):
                session.note(f"figure {fig_no}: {label} is disabled in this state (it would do nothing): not moved")
                continue
            for keys in plan:  # a step (often blitted), then the far end
                move = _move(session, fig, fig_no, slider, label, keys, before, len(moves) + 1)
                moves.append(move)
                before = move["pixels"]
            if not every_slider and any(m["frac"] > 0 for m in moves):
                break
        session.shoot(f"fig{fig_no}-widget-after.png", fig)

        made = [m for m in moves if not m["skipped"]]
        paths = json.loads(session.execute(Session.READ_LOG).strip().splitlines()[-1]) if session.hooked else None
        if paths is not None and len(paths) != len(made):
            session.note(f"figure {fig_no}: {len(made)} moves but {len(paths)} updates in the kernel: {paths}")
            paths = None
        for k, m in enumerate(made):
            how = "; ".join(paths[k][1:]) if paths else "not recorded in Voila"
            m["how"] = how
            truth = m["truth"]
            session.note(
                f"figure {fig_no}: {m['label']} {m['key']} -> {m['value']}: {m['frac']:.2%} of the canvas "
                f"pixels changed; kernel: {how}; matches its Agg render: {truth['ok']} "
                f"({truth['mismatch']:.3%} differ); {m['seconds']:.2f} s -> {m['shot']}"
                + (f"; REFUSED: {m['refused']}" if m["refused"] else "")
            )
            if not truth["ok"]:
                problems.append(truth["problem"])
        if paths:
            blits = [m for m in made if m["how"] == "blit" and m["frac"] > 0]
            session.note(f"figure {fig_no}: {len(blits)} move(s) redrawn by blitting alone changed the canvas pixels")
        refused = [f"{m['label']} {m['key']} -> {m['value']}: {m['refused']}" for m in made if m["refused"]]
        if refused:
            problems.append(f"figure {fig_no} refused a value its own slider offers:\n  " + "\n  ".join(refused))
        if moves and not any(m["frac"] > 0 for m in made):
            problems.append(f"figure {fig_no}: no slider move changed the canvas pixels")
        wasted = [
            f"{m['label']} {m['key']} -> {m['value']}" for m in made if m.get("how", "").startswith("blit; full draw")
        ]
        if wasted:
            problems.append(
                f"figure {fig_no}: {len(wasted)} of {len(made)} moves were blitted and then fully redrawn anyway "
                f"({', '.join(wasted[:3])}...). After each widget message the comm package fires IPython's "
                "post_execute, whose pyplot.draw_all() fully redraws every *stale* figure, and the blit leaves the "
                "figure stale (set_xlim/set_ylim mark it stale even when the limits do not change). "
                "Fix: `self.fig.stale = False` right after `canvas.blit(self.fig.bbox)` in InteractiveFigure._redraw."
            )
    session.times["moves_s"] = time.monotonic() - t0
    if count:  # what a learner (or a class, in Voila) sees: the page around the first figure
        figures.first.evaluate("(el) => el.scrollIntoView({block: 'start'})")
        session.shoot("page.png")
    assert not problems, (
        f"{session.lesson.name} in {session.app}:\n"
        + "\n".join(problems)
        + (f"\n(every move, its pixels and redraw path: {session.out / 'log.txt'})")
    )
