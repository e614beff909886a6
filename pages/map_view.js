// The map's view reporter (pages/mapview.py): watches the topic map Streamlit draws (st.plotly_chart, key "map"),
// reports the part of it on screen whenever a zoom, a pan or a resize has settled, and draws over it the overlay the
// server computed for that view (labels that fit; on large sets the papers in view) and the pinned query (its star and
// its hits' rings, over everything). Nothing here decides what to show: lib/mapview.py and lib/figures.py do. The
// chart is Streamlit's own, so its selections and hover keep working as they are.

const POLL_MS = 200;
// A view is reported once it has stayed the same for this long (a scroll-zoom is many small steps).
const SETTLE_MS = 350;
const isOverlay = (trace) => typeof trace.uid === "string" && trace.uid.startsWith("view-points");
const isPin = (trace) => typeof trace.uid === "string" && trace.uid.startsWith("pin-"); // lib/figures.py PIN_UID

let latest = null; // the newest data from the server: { selector, labels, points, token, pins, pinsText }
let report = null; // setStateValue of the newest mount
let timer = null;
let candidate = null;
let candidateSince = 0;
let reported = null;

function currentView(gd) {
  const layout = gd._fullLayout;
  if (!layout || !layout.xaxis || !layout.yaxis || !layout.xaxis.range || !layout.yaxis.range) return null;
  return {
    x: layout.xaxis.range.map(Number),
    y: layout.yaxis.range.map(Number),
    width: Math.round(layout.xaxis._length),
    height: Math.round(layout.yaxis._length),
  };
}

function sameView(a, b) {
  if (!a || !b || a.width !== b.width || a.height !== b.height) return false;
  const tolerance = (a.x[1] - a.x[0]) * 0.002;
  return [0, 1].every((i) => Math.abs(a.x[i] - b.x[i]) <= tolerance && Math.abs(a.y[i] - b.y[i]) <= tolerance);
}

const LABEL_NAMES = ["topic label", "view label"]; // lib/figures.py MAP_LABEL_NAME, VIEW_LABEL_NAME

function indicesOf(gd, test) {
  const found = [];
  gd.data.forEach((trace, index) => {
    if (test(trace)) found.push(index);
  });
  return found;
}

// The pin's traces, last (over the map and the view's papers); drawn again when the query changed or the chart was
// redrawn from its spec (which does not hold them).
function applyPins(gd) {
  const present = indicesOf(gd, isPin);
  if (gd.__pinsText === latest.pinsText && present.length === latest.pins.length) return;
  if (present.length) window.Plotly.deleteTraces(gd, present);
  // Copies: Plotly keeps and changes the traces it is given, and a redraw needs them afresh.
  if (latest.pins.length) window.Plotly.addTraces(gd, JSON.parse(latest.pinsText));
  gd.__pinsText = latest.pinsText;
}

function applyOverlay(gd) {
  if (!latest || !window.Plotly) return;
  applyPins(gd);
  if (!latest.labels) return;
  const annotations = (gd.layout && gd.layout.annotations) || [];
  const drawn = latest.labels.length === 0 || annotations.some((a) => a.name === "view label");
  if (gd.__overlayToken === latest.token && drawn) return;
  const old = indicesOf(gd, isOverlay);
  if (old.length) window.Plotly.deleteTraces(gd, old);
  if (latest.points && latest.points.length) {
    // Under the pinned query and its hits (drawn after the topics), over the density image and the sampled papers.
    const firstPin = gd.data.findIndex(isPin);
    const at = firstPin >= 0 ? latest.points.map((_, i) => firstPin + i) : undefined;
    window.Plotly.addTraces(gd, latest.points, at);
  }
  // The map's first labels give way to those placed for this view; other annotations stay.
  const kept = annotations.filter((a) => !LABEL_NAMES.includes(a.name));
  window.Plotly.relayout(gd, { annotations: [...kept, ...latest.labels] });
  gd.__overlayToken = latest.token;
}

function tick() {
  if (!latest) return;
  const gd = document.querySelector(latest.selector);
  if (!gd || !gd._fullLayout) return;
  const view = currentView(gd);
  const now = Date.now();
  if (view && !sameView(view, candidate)) {
    candidate = view;
    candidateSince = now;
  } else if (view && now - candidateSince >= SETTLE_MS && !sameView(view, reported) && report) {
    reported = view;
    report("view", view);
  }
  try {
    applyOverlay(gd);
  } catch (error) {
    // A chart redrawn by Streamlit between the lookup and the change: the next tick draws the overlay again.
    gd.__overlayToken = null;
  }
}

export default function (component) {
  const data = component.data || {};
  latest = { selector: data.selector, token: data.token, labels: null, points: [] };
  if (data.overlay) Object.assign(latest, JSON.parse(data.overlay));
  latest.pinsText = data.pins || "[]";
  latest.pins = JSON.parse(latest.pinsText);
  report = component.setStateValue;
  if (timer === null) timer = window.setInterval(tick, POLL_MS);
  tick();
  return () => {
    window.clearInterval(timer);
    timer = null;
  };
}
