"""Redraw the static part of the axes that changed, not the whole figure.

A live figure is cached static pixels (ticks, labels, legends: the text, which costs most of a
matplotlib draw) plus the data artists drawn over them on every move (a blit). When a move changes
the static part of some axes (its limits move to the next bracket, its legend changes), a full draw
re-renders every text of every axes. Here only the region each changed axes owns is re-rendered:

    region(ax) = tight box of ax before the move  ∪  tight box after it   (whole pixels, + a margin)

cleared to the figure's face colour and redrawn with ``ax.draw``; a neighbour whose box meets a
region is redrawn with it. The picture is the one a full draw gives, pixel for pixel, because no
axes left out paints inside the regions; when a figure-level text meets a region,
``changed_regions`` returns None and the caller draws in full.
"""

from __future__ import annotations

import math

import matplotlib as mpl
from matplotlib.patches import Rectangle
from matplotlib.transforms import Bbox, IdentityTransform

from theory_lib.figures.style import STYLE

__all__ = ["axes_boxes", "changed_regions", "repaint", "repaint_changed"]

MARGIN_PX = 2  # anti-aliased glyph edges may reach a pixel past a text's extent


def _snapped(box: Bbox, margin: int = MARGIN_PX) -> Bbox:
    return Bbox.from_extents(
        math.floor(box.x0) - margin, math.floor(box.y0) - margin, math.ceil(box.x1) + margin, math.ceil(box.y1) + margin
    )


def axes_boxes(fig, renderer) -> list[Bbox]:
    """Each axes' tight box (ticks, labels, title, legend included), in whole display pixels."""
    return [_snapped(ax.get_tightbbox(renderer)) for ax in fig.axes]


def _overlaps(a: Bbox, b: Bbox) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def changed_regions(fig, renderer, old_boxes: list[Bbox], changed: list[int]):
    """What to repaint after the axes indexed by ``changed`` moved: (regions, boxes, axes to draw).

    A changed axes' region is its box before and after the move; an unchanged axes whose box meets
    a region is drawn again too (its box joins the regions), until no other axes meets them. None
    when a figure-level text meets a region: then only a full draw gives the right picture."""
    boxes = list(old_boxes)
    regions = {}
    for i in changed:
        boxes[i] = _snapped(fig.axes[i].get_tightbbox(renderer))
        regions[i] = Bbox.union([old_boxes[i], boxes[i]])
    grew = True
    while grew:
        grew = False
        for j in range(len(boxes)):
            if j not in regions and any(_overlaps(boxes[j], r) for r in regions.values()):
                regions[j] = boxes[j]
                grew = True
    texts = [_snapped(t.get_window_extent(renderer)) for t in fig.texts if t.get_visible() and t.get_text()]
    texts += [_snapped(leg.get_window_extent(renderer)) for leg in fig.legends]
    if any(_overlaps(r, t) for r in regions.values() for t in texts):
        return None
    order = sorted(regions, key=lambda i: (fig.axes[i].get_zorder(), i))  # a full draw's order
    return list(regions.values()), boxes, order


def repaint(fig, renderer, regions: list[Bbox], axes) -> None:
    """Clear each region to the figure's face colour and draw the axes' static artists over it."""
    with mpl.rc_context(getattr(fig, "rc", STYLE)):  # as StyledFigure.draw: "C7" is the house palette's C7
        _repaint(fig, renderer, regions, axes)


def _repaint(fig, renderer, regions, axes):
    face = Rectangle((0, 0), 1, 1, transform=IdentityTransform(), facecolor=fig.get_facecolor(), linewidth=0)
    face.set_antialiased(False)
    face.set_snap(True)
    for region in regions:
        face.set_bounds(region.x0, region.y0, region.width, region.height)
        face.draw(renderer)
    for ax in axes:
        ax.draw(renderer)  # skips animated (dynamic) artists, as a full draw does


def repaint_changed(fig, background, boxes: list[Bbox], old: tuple, new: tuple):
    """Bring the cached static pixels ``background`` from signature ``old`` to ``new`` in place.

    A signature holds one entry per axes, then the figure's own (``InteractiveFigure._static_signature``).
    Returns (background, boxes) after the repaint, with the canvas holding the new static pixels,
    or None (nothing drawn) when the figure itself changed or a region meets a figure text."""
    n = len(fig.axes)
    if len(old) != len(new) or old[n:] != new[n:]:
        return None
    canvas = fig.canvas
    renderer = canvas.get_renderer()
    found = changed_regions(fig, renderer, boxes, [i for i in range(n) if old[i] != new[i]])
    if found is None:
        return None
    regions, boxes, order = found
    canvas.restore_region(background)
    repaint(fig, renderer, regions, [fig.axes[i] for i in order])
    return canvas.copy_from_bbox(fig.bbox), boxes
