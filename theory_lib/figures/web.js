// The browser side of theory_lib/figures/web.py: paint the kernel's frames, and paint the frames of a
// strip (a slider's grid, sent ahead) on the slider's own input event, without the kernel.

const IPY = "IPY_MODEL_";

async function decode(buffer) {
  const bytes = buffer instanceof DataView ? buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) : buffer;
  return createImageBitmap(new Blob([bytes], { type: "image/png" }));
}

// A strip keeps every frame as its PNG and at most DECODED of them decoded (the latest used): a
// decoded frame costs width x height x 4 bytes, and a grid of 250 positions at 2x would hold 1 GB.
const DECODED = 64;
function remember(s, key, f) {
  s.decoded = s.decoded.filter((k) => k !== key);
  s.decoded.push(key);
  while (s.decoded.length > DECODED) {
    const old = s.frames.get(s.decoded.shift());
    if (old && old.bitmap) old.bitmap.close();
    if (old) old.bitmap = null;
  }
}

// One store per model, shared by its views: the strip outlives a view (a page re-rendering it).
const stores = new WeakMap();
function storeOf(model) {
  if (!stores.has(model)) stores.set(model, { strip: null });
  return stores.get(model);
}

function keyOf(spec, m) {
  if (spec.kind === "label") return m.get("_options_labels")[m.get("index")];
  if (spec.kind === "grid") return Math.round((m.get("value") - spec.min) / spec.step);
  return m.get("value");
}

async function render({ model, el }) {
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

  // The strip's frame for the controls' positions now, if it holds one.
  const stripFrame = () => {
    const s = store.strip;
    if (!s || !s.base) return null; // the base may still be decoding
    const [w, h] = model.get("size");
    if (s.size[0] !== w || s.size[1] !== h) return null; // drawn for another screen (a new dpi)
    for (const [name, key] of Object.entries(s.others)) if (position(name) !== key) return null;
    return s.frames.get(position(s.control)) || null;
  };

  let shown = 0; // generation of what the canvas shows: a late decode never paints over a newer frame
  const paintBitmap = (bitmap) => {
    size();
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(bitmap, 0, 0);
  };
  const paintStrip = (f) => {
    const s = store.strip;
    size();
    ctx.drawImage(s.base, 0, 0);
    ctx.drawImage(f.bitmap, f.at[0], f.at[1]);
    if (readout && f.readout !== null && readout.get("value") !== f.readout) readout.set("value", f.readout);
  };
  const paintKernelFrame = async () => {
    const buffer = model.get("frame");
    if (!buffer || !buffer.byteLength) return;
    const mine = ++shown;
    const bitmap = await decode(buffer);
    if (mine !== shown) return;
    const f = stripFrame(); // the same pixels, if the strip holds this position: the kernel may not send them
    if (f && f.bitmap) paintStrip(f);
    else if (f) onMove();
    else paintBitmap(bitmap);
  };
  // A move, or a strip batch that arrived: paint the strip's frame of the position now, if it has one
  // (at once if it is decoded, else as soon as it is, unless the slider has moved on).
  const onMove = () => {
    const f = stripFrame();
    if (!f) return;
    const mine = ++shown; // a kernel frame still decoding is older than this
    if (f.bitmap) {
      remember(store.strip, position(store.strip.control), f);
      paintStrip(f);
      return;
    }
    const s = store.strip;
    const key = position(s.control);
    decode(f.blob).then((bitmap) => {
      if (f.bitmap) bitmap.close();
      else f.bitmap = bitmap;
      remember(s, key, f);
      if (mine === shown && stripFrame() === f) paintStrip(f);
    });
  };

  for (const m of Object.values(controls)) m.on("change:value change:index", onMove);
  model.on("change:frame", paintKernelFrame);
  model.on("change:size", size);
  const onStrip = async (msg, buffers) => {
    if (msg.type !== "strip") return;
    let s = store.strip;
    if (!s || s.id !== msg.id) {
      if (!msg.base) return; // a batch of a strip whose start this page missed
      const old = store.strip;
      if (old) for (const f of old.frames.values()) if (f.bitmap) f.bitmap.close();
      s = store.strip = { id: msg.id, control: msg.control, others: msg.others, size: msg.size,
                          frames: new Map(), decoded: [], base: null };
    }
    const own = msg.base ? buffers.slice(1) : buffers;
    if (msg.base) s.base = await decode(buffers[0]);
    // nearest positions come first: decode as many as the strip keeps decoded, keep the rest as PNG
    const room = Math.max(0, DECODED - s.decoded.length);
    const bitmaps = await Promise.all(own.map((b, i) => (i < room ? decode(b) : null)));
    msg.frames.forEach((f, i) => {
      const frame = { at: f.at, readout: f.readout, blob: own[i], bitmap: bitmaps[i] };
      s.frames.set(f.key, frame);
      if (frame.bitmap) remember(s, f.key, frame);
    });
    onMove(); // the slider may have reached a position of this batch before it arrived
    model.send({ type: "strip_ready", id: s.id, keys: msg.frames.map((f) => f.key) });
  };
  model.on("msg:custom", onStrip);

  size();
  await paintKernelFrame();
  const ratio = window.devicePixelRatio || 1;
  if (model.get("ratio") !== ratio) {
    model.set("ratio", ratio);
    model.save_changes();
  }
  return () => {
    for (const m of Object.values(controls)) m.off("change:value change:index", onMove);
    model.off("change:frame", paintKernelFrame);
    model.off("change:size", size);
    model.off("msg:custom", onStrip);
  };
}

export default { render };
