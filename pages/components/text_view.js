// Shaded text (st.components.v2), in two modes:
// - a text with one value per character (hidden states, connectivity): each character's background shows its
//   value, its tooltip the number; the box scrolls and can be scrolled with the keyboard;
// - the temperature scrub of the sampling page (data.grid present): the server sends the sample of every
//   temperature on the slider's grid at once; moving the slider only switches between them here, in the browser,
//   with no round trip. The chosen temperature is sent back afterwards (debounced) so that the figures below it,
//   which do need the server, follow.
// Every character (user text, model output) is inserted with textContent: text, never markup.

const SHADES = { p: "its probability", e: "the step's entropy" };

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Paint `text` into `box`, one span per character, background by value (whole percent: 0..100, or -100..100 when
// `signed`: red positive, blue negative), the value in its tooltip; characters in `notes` (index -> words) outlined.
function shade(box, text, values, { label, signed = false, notes = {} }) {
  const frag = document.createDocumentFragment();
  Array.from(text).forEach((c, i) => {
    const v = (values[i] || 0) / 100;
    const span = el("span", "rnnlab-char", c === "\n" ? "⏎" : c);
    const a = (signed ? 0 : 0.08) + 0.75 * Math.min(1, Math.abs(v));
    const rgb = !signed ? "255,127,14" : v >= 0 ? "214,39,40" : "31,119,180";
    span.style.background = "rgba(" + rgb + "," + a.toFixed(2) + ")";
    span.title = label + " " + (signed && v >= 0 ? "+" : "") + v.toFixed(2) + (i in notes ? " · " + notes[i] : "");
    if (i in notes) span.classList.add("rnnlab-noted");
    frag.append(span);
    if (c === "\n") frag.append(el("br"));
  });
  box.replaceChildren(frag);
}

function textView(parentElement, data) {
  let box = parentElement.querySelector(".rnnlab-text");
  if (!box) {
    box = el("div", "rnnlab-text");
    box.tabIndex = 0;  // a scrolling box the keyboard can reach and scroll
    box.setAttribute("role", "region");
    parentElement.append(box);
  }
  box.setAttribute("aria-label", data.label);
  box.style.maxHeight = data.height ? data.height + "px" : "";
  shade(box, data.text, data.values, { label: data.label, signed: !!data.signed, notes: data.notes || {} });
}

function build(root, store, send) {
  const head = el("div", "rnnlab-head");
  const label = el("label", "rnnlab-label", "Temperature T");
  const slider = el("input", "rnnlab-temperature");
  slider.type = "range";
  slider.id = "rnnlab-temperature";
  label.htmlFor = slider.id;
  slider.setAttribute("aria-label", "Temperature T");
  slider.title = "0 is the argmax. Below 1 sharpens the softmax, above 1 flattens it. The sample switches at once: " +
    "every temperature was sampled in advance with the same random numbers.";
  const shown = el("output", "rnnlab-value");
  head.append(label, slider, shown);

  const shade = el("div", "rnnlab-shade");
  shade.append(el("span", "rnnlab-shade-label", "Shade each character by"));
  for (const [value, words] of Object.entries(SHADES)) {
    const option = el("label", "rnnlab-option");
    const radio = el("input");
    radio.type = "radio";
    radio.name = "rnnlab-shade";
    radio.value = value;
    radio.checked = value === store.shade;
    radio.addEventListener("change", () => { store.shade = value; store.render(); });
    option.append(radio, document.createTextNode(" " + words));
    shade.append(option);
  }
  const sample = el("div", "rnnlab-sample");
  sample.setAttribute("role", "region");
  sample.setAttribute("aria-live", "polite");
  const note = el("div", "rnnlab-note");
  const download = el("a", "rnnlab-download", "Download this sample");
  download.title = "The priming text and the generated text, as a .txt file.";
  root.append(head, shade, sample, note, download);

  slider.addEventListener("input", () => {
    store.index = Number(slider.value);
    store.render();
    send();
  });
  return { slider, shown, sample, note, download };
}

function paint(parts, data, store) {
  const grid = data.grid;
  const k = Math.max(0, Math.min(grid.length - 1, store.index));
  const row = data.rows[k];
  const t = grid[k];
  parts.slider.min = 0;
  parts.slider.max = grid.length - 1;
  parts.slider.step = 1;
  parts.slider.value = k;
  parts.slider.setAttribute("aria-valuetext", "T = " + t.toFixed(2));
  parts.shown.textContent = "T = " + t.toFixed(2);

  shade(parts.sample, row.text, store.shade === "p" ? row.p : row.e, { label: SHADES[store.shade] });
  parts.sample.dataset.t = t.toFixed(2);

  parts.note.textContent = "Repetition score " + row.repetition.toFixed(2) + " (share of 20-character windows seen " +
    "before; loops push it toward 1). Hover a character for its value.";
  if (store.url) URL.revokeObjectURL(store.url);
  store.url = URL.createObjectURL(new Blob([data.prime + row.text], { type: "text/plain;charset=utf-8" }));
  parts.download.href = store.url;
  parts.download.download = "sample-T" + t + "-seed" + data.seed + ".txt";
}

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  if (data && typeof data.text === "string" && Array.isArray(data.values)) {
    textView(parentElement, data);
    return;
  }
  if (!data || !Array.isArray(data.grid) || !Array.isArray(data.rows) || data.rows.length !== data.grid.length) {
    return;
  }
  // One store per mounted instance: survives the re-runs of this function that every new `data` causes.
  const store = parentElement.__rnnlabScrub || (parentElement.__rnnlabScrub = { shade: "p" });
  if (store.index === undefined) {
    const start = Number(data.value);
    store.index = data.grid.reduce((best, t, k) => Math.abs(t - start) < Math.abs(data.grid[best] - start) ? k : best, 0);
  }
  let root = parentElement.querySelector(".rnnlab-scrub");
  if (!root) {
    root = el("div", "rnnlab-scrub");
    parentElement.append(root);
    store.timer = null;
    store.parts = build(root, store, () => {
      clearTimeout(store.timer);  // the server hears only where the slider came to rest
      store.timer = setTimeout(() => setStateValue("temperature", store.data.grid[store.index]), 150);
    });
  }
  store.data = data;
  store.render = () => paint(store.parts, store.data, store);
  store.render();
}
