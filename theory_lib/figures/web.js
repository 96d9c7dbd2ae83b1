// The browser side of theory_lib/figures/web.py: paint the kernel's frames, and paint the frames of a
// strip (a slider's grid, sent ahead) on the slider's own input event, without the kernel.

const IPY = "IPY_MODEL_";

async function decode(buffer) {
  const bytes = buffer instanceof DataView ? buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) : buffer;
  return createImageBitmap(new Blob([bytes], { type: "image/png" }));
}

// A figure keeps every strip frame as its PNG and at most DECODED of them decoded (the latest used,
// over all its strips): a decoded frame costs width x height x 4 bytes, and a grid of 250 positions
// at 2x would hold 1 GB.
const DECODED = 64;
function remember(store, f) {
  store.decoded = store.decoded.filter((g) => g !== f);
  store.decoded.push(f);
  while (store.decoded.length > DECODED) {
    const old = store.decoded.shift();
    if (old.bitmap) old.bitmap.close();
    old.bitmap = null;
  }
}

// One store per model, shared by its views: the strips outlive a view (a page re-rendering it).
// strips: control -> its latest strip { id, control, others, size, base, frames: key -> frame }.
const stores = new WeakMap();
function storeOf(model) {
  if (!stores.has(model)) stores.set(model, { strips: new Map(), decoded: [] });
  return stores.get(model);
}

function keyOf(spec, m) {
  if (spec.kind === "label") return m.get("_options_labels")[m.get("index")];
  if (spec.kind === "grid") return Math.round((m.get("value") - spec.min) / spec.step);
  return m.get("value");
}

// anywidget (0.9 to 0.11) drops every message from the kernel to a model whose start took more than
// 2 s: its Runtime rejects `ready` after AbortSignal.timeout(2000) ("[anywidget] Failed to initialize
// model."), and AnyModel's _handle_comm_msg awaits `ready` before handling anything. On a busy page
// (a slow Binder, a loaded CI machine) the figure then never repaints. So ask the model itself (a
// no-op message through its handler); if it is deaf, give its comm the base class's handler, which
// does not wait; render then asks the kernel for its frame again (what was sent meanwhile is lost).
async function hearKernel(model) {
  const real = await model.widget_manager.get_model(model.get("own_id"));
  const probe = { content: { data: { method: "custom", content: { type: "probe" } } }, buffers: [] };
  try {
    await real._handle_comm_msg(probe);
    return false;
  } catch (err) {
    if (!String(err && err.message).includes("Failed to initialize model")) throw err;
  }
  const base = Object.getPrototypeOf(Object.getPrototypeOf(real)); // DOMWidgetModel, under AnyModel
  real.comm.on_msg((msg) => base._handle_comm_msg.call(real, msg));
  console.warn("[theory_lib] anywidget gave up on this figure's model after 2 s; it hears the kernel again");
  return true;
}

async function render({ model, el }) {
  const mended = await hearKernel(model);
  const store = storeOf(model);
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d");
  el.classList.add("tl-canvas");
  el.append(canvas);
  const size = () => {
    const [w, h] = model.get("size");
    const ratio = model.get("ratio") || 1;
    if (w && (canvas.width !== w || canvas.height !== h)) {
      canvas.width = w;
      canvas.height = h;
    }
    canvas.style.width = `${w / ratio}px`;
    canvas.style.height = `${h / ratio}px`;
  };

  // The controls' models, to read their positions and to hear them move in this page.
  const keys = model.get("positions");
  const refs = model.get("controls");
  const controls = {};
  for (const [name, ref] of Object.entries(refs)) controls[name] = await model.widget_manager.get_model(ref.slice(IPY.length));
  const readoutRef = model.get("readout");
  const readout = readoutRef ? await model.widget_manager.get_model(readoutRef.slice(IPY.length)) : null;
  const position = (name) => keyOf(keys[name], controls[name]);

  // A strip's frame for the controls' positions now, if one holds it (the moved control's strip first).
  const frameIn = (s) => {
    if (!s || !s.base) return null; // the base may still be decoding
    const [w, h] = model.get("size");
    if (s.size[0] !== w || s.size[1] !== h) return null; // drawn for another screen (a new dpi)
    for (const [name, key] of Object.entries(s.others)) if (position(name) !== key) return null;
    return s.frames.get(position(s.control)) || null;
  };
  const stripFrame = (first) => {
    for (const s of [store.strips.get(first), ...store.strips.values()]) {
      const f = frameIn(s);
      if (f) return f;
    }
    return null;
  };

  let shown = 0; // generation of what the canvas shows: a late decode never paints over a newer frame
  // The controls' state a strip frame on the canvas shows (null after a kernel frame): a batch for
  // the state already shown (another slider's strip arriving) paints nothing.
  let shownState = null;
  const stateNow = () => JSON.stringify(Object.keys(controls).map(position));
  const paintBitmap = (bitmap) => {
    size();
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(bitmap, 0, 0);
    shownState = null;
  };
  const paintStrip = (f) => {
    shownState = stateNow();
    size();
    ctx.drawImage(f.strip.base, 0, 0);
    ctx.drawImage(f.bitmap, f.at[0], f.at[1]);
    if (readout && f.readout !== null && readout.get("value") !== f.readout) readout.set("value", f.readout);
  };
  const paintKernelFrame = async () => {
    const buffer = model.get("frame");
    if (!buffer || !buffer.byteLength) return;
    const mine = ++shown;
    const bitmap = await decode(buffer);
    if (mine !== shown) return;
    const f = stripFrame(); // the same pixels, if a strip holds this state: the kernel may not send them
    if (f && shownState === stateNow()) return; // on the canvas already
    if (f && f.bitmap) paintStrip(f);
    else if (f) onMove();
    else paintBitmap(bitmap);
  };
  // A move, or a strip batch that arrived: paint a strip's frame of the state now, if one has it
  // (at once if it is decoded, else as soon as it is, unless the controls have moved on).
  const onMove = (moved) => {
    const f = stripFrame(moved);
    if (!f || shownState === stateNow()) return; // none, or on the canvas already (a value echoed back)
    const mine = ++shown; // a kernel frame still decoding is older than this
    if (f.bitmap) {
      remember(store, f);
      paintStrip(f);
      return;
    }
    decode(f.blob).then((bitmap) => {
      if (f.bitmap) bitmap.close();
      else f.bitmap = bitmap;
      remember(store, f);
      if (mine === shown && stripFrame(moved) === f) paintStrip(f);
    });
  };

  const movers = Object.entries(controls).map(([name, m]) => [m, () => onMove(name)]);
  for (const [m, f] of movers) m.on("change:value change:index", f);
  model.on("change:frame", paintKernelFrame);
  model.on("change:size", size);
  const onStrip = async (msg, buffers) => {
    if (msg.type === "drop") {
      for (const s of store.strips.values()) for (const f of s.frames.values()) if (f.bitmap) f.bitmap.close();
      store.strips.clear();
      store.decoded = [];
      return;
    }
    if (msg.type !== "strip") return;
    let s = store.strips.get(msg.control);
    if (!s || s.id !== msg.id) {
      if (!msg.base) return; // a batch of a strip whose start this page missed
      if (s) for (const f of s.frames.values()) if (f.bitmap) f.bitmap.close();
      if (s) store.decoded = store.decoded.filter((f) => f.strip !== s);
      s = { id: msg.id, control: msg.control, others: msg.others, size: msg.size, frames: new Map(), base: null };
      store.strips.set(msg.control, s);
    }
    const own = msg.base ? buffers.slice(1) : buffers;
    if (msg.base) s.base = await decode(buffers[0]);
    // nearest positions come first: decode while the figure has room, keep the rest as PNG
    const room = Math.max(0, DECODED - store.decoded.length);
    const bitmaps = await Promise.all(own.map((b, i) => (i < room ? decode(b) : null)));
    msg.frames.forEach((f, i) => {
      const frame = { strip: s, at: f.at, readout: f.readout, blob: own[i], bitmap: bitmaps[i] };
      s.frames.set(f.key, frame);
      if (frame.bitmap) remember(store, frame);
    });
    onMove(msg.control); // the controls may have reached a state of this batch before it arrived
    model.send({ type: "strip_ready", id: s.id, keys: msg.frames.map((f) => f.key) });
  };
  model.on("msg:custom", onStrip);

  size();
  if (mended) model.send({ type: "resend" }); // the kernel's state again: its frame and size
  await paintKernelFrame();
  const ratio = window.devicePixelRatio || 1;
  if (model.get("ratio") !== ratio) {
    model.set("ratio", ratio);
    model.save_changes();
  }
  // On screen or not: the kernel sends the strips of every slider only to a figure the learner sees.
  const seen = new IntersectionObserver((entries) => {
    const visible = entries[entries.length - 1].isIntersecting;
    if (model.get("visible") !== visible) {
      model.set("visible", visible);
      model.save_changes();
    }
  });
  seen.observe(canvas);
  return () => {
    seen.disconnect();
    for (const [m, f] of movers) m.off("change:value change:index", f);
    model.off("change:frame", paintKernelFrame);
    model.off("change:size", size);
    model.off("msg:custom", onStrip);
  };
}

export default { render };
