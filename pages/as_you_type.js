// Search as you type (pages/as_you_type.py): once typing in a Streamlit text input pauses, press Enter for the
// reader, so the results follow the words without a key press. Streamlit's own text input commits its value on
// Enter (and on leaving the box); this sends the same key event, so the value travels and reruns the page exactly
// as when the reader presses it, and the box keeps the focus and the caret.

const PAUSE_MS = 600;
let selector = null;
let timer = null;
let watched = null;

function onInput(event) {
  const input = event.target;
  window.clearTimeout(timer);
  timer = window.setTimeout(() => {
    if (document.activeElement !== input) return; // left the box: Streamlit committed it then
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", code: "Enter", keyCode: 13, which: 13, bubbles: true }));
  }, PAUSE_MS);
}

function onKeydown(event) {
  if (event.key === "Enter" && event.isTrusted) window.clearTimeout(timer); // pressed by the reader: nothing to add
}

function attach() {
  const input = selector ? document.querySelector(selector) : null;
  if (!input || input === watched) return;
  if (watched) {
    watched.removeEventListener("input", onInput);
    watched.removeEventListener("keydown", onKeydown);
  }
  input.addEventListener("input", onInput);
  input.addEventListener("keydown", onKeydown);
  watched = input;
}

export default function (component) {
  selector = (component.data || {}).selector || null;
  attach();
  const poll = window.setInterval(attach, 500); // the box is drawn anew when the page is
  return () => window.clearInterval(poll);
}
