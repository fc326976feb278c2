// The console's only script: the live broadcast preview and the progress bar. No library.
"use strict";

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]').content;
}

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

function words() {
  const found = {};
  const holder = document.getElementById("words");
  if (!holder) return found;
  holder.content.querySelectorAll("[data-k]").forEach((el) => { found[el.dataset.k] = el.textContent; });
  return found;
}

function startPreview(form) {
  const say = words();
  const recipients = document.getElementById("preview-recipients");
  const warnings = document.getElementById("preview-warnings");
  let timer = null;
  let asked = 0;

  function warn(text) {
    const item = document.createElement("li");
    item.className = "warning";
    item.textContent = text;
    warnings.appendChild(item);
  }

  function show(data) {
    warnings.replaceChildren();
    document.querySelectorAll('[id^="count_"]').forEach((el) => { el.textContent = ""; });
    if (data.error) { recipients.textContent = data.error; return; }
    recipients.textContent = fill(say.recipients, data) + " " + fill(say.segments, data);
    if (data.unreachable) warn(fill(say.unreachable, data));
    if (data.skipped_language) warn(fill(say.skipped, data));
    data.languages.forEach((entry) => {
      const counter = document.getElementById("count_" + entry.language);
      if (counter) counter.textContent = fill(say.segments, entry) + " (" + entry.encoding + ")";
      if (entry.non_gsm7.length) {
        warn(fill(say.ucs2, { language: entry.language, characters: entry.non_gsm7.join(" ") }));
      }
    });
    if (data.topic_words.length) warn(fill(say.topic, { words: data.topic_words.join(", ") }));
    if (data.duplicate_of) warn(fill(say.duplicate, { id: data.duplicate_of }));
  }

  async function ask() {
    const mine = ++asked;
    const response = await fetch(form.dataset.preview, {
      method: "POST",
      body: new FormData(form),
      headers: { "X-CSRF-Token": csrfToken() },
      credentials: "same-origin",
    });
    if (response.ok && mine === asked) show(await response.json());
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(ask, 250);
  }

  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
  if (form.audience.value) soon();
}

function startProgress(box) {
  const bar = document.getElementById("progress");
  const text = document.getElementById("progress-text");

  async function look() {
    const response = await fetch(box.dataset.progress, { credentials: "same-origin" });
    if (!response.ok) return;
    const data = await response.json();
    bar.max = Math.max(data.planned, 1);
    bar.value = data.planned - data.in_flight;
    document.querySelectorAll("#report [data-k]").forEach((cell) => {
      cell.textContent = data[cell.dataset.k];
    });
    text.textContent = text.dataset[data.status];
    box.dataset.state = data.status;
    if (data.status === "sending") setTimeout(look, 1000);
    if (data.status === "scheduled") setTimeout(look, 30000);
    // Done sending is not done reporting: carriers' delivery receipts come seconds later.
    if (data.status === "done" && data.sent > 0) setTimeout(look, 5000);
  }

  look();
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("compose");
  if (form) startPreview(form);
  const box = document.getElementById("progress-box");
  if (box) startProgress(box);
});
