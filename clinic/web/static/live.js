// The live sets: a server-sent event stream (data-stream of #live-sets) drawn as one card
// per device: reps so far, the last ROM on a gauge against the target band, the flags.
// Used by the Live page and beside the video on the visit page. No library.
"use strict";
(() => {
  const box = document.getElementById("live-sets");
  if (!box) return;
  const none = document.getElementById("live-none") || {};
  const status = document.getElementById("live-status") || {};
  const el = (tag, cls, text) => { const e = document.createElement(tag);
    if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
  const sets = new Map();
  function card(s) {
    let c = document.getElementById("live-" + s.device);
    if (!c) { c = el("div", "card livecard"); c.id = "live-" + s.device; box.appendChild(c); }
    c.replaceChildren();
    const h = el("h2"); if (s.label) h.append(s.label + " ");
    const a = el("a", "", s.device); a.href = "/patients/" + encodeURIComponent(s.device);
    h.append(el("code")); h.lastChild.append(a); c.append(h);
    const band = s.band ? ` · target ${Math.round(s.target_rom_deg)}° (band ${s.band[0]}–${s.band[1]}°)` : "";
    c.append(el("p", "what", `${s.exercise_name || s.exercise} · set ${s.set || "–"}${band}`));
    const reps = s.reps || [], last = reps[reps.length - 1];
    const line = el("p"); line.append(el("span", "big reps-n", String(reps.length)), " reps · last ",
      el("span", "big last-rom", last ? `${last.rom_deg}°` : "–"), " ",
      el("span", "state", s.state === "running" ? "running" : (s.state || "").replace("_", " ")));
    c.append(line);
    if (s.band) {
      const max = Math.max(s.band[1] * 1.2, 30, last ? last.rom_deg * 1.05 : 0);
      const g = el("div", "gauge"), b = el("div", "band"), n = el("div", "needle");
      b.style.left = (100 * s.band[0] / max) + "%"; b.style.width = (100 * (s.band[1] - s.band[0]) / max) + "%";
      g.append(b); if (last) { n.style.left = `calc(${Math.min(100, 100 * last.rom_deg / max)}% - 2px)`; g.append(n); }
      c.append(g);
    }
    const chips = el("div", "reps");
    for (const r of reps) {
      const flags = (r.flags || []).join(", ");
      const chip = el("span", "rep " + (r.place || ""), `#${r.n} ${r.rom_deg}°` + (flags ? ` ⚑ ${flags}` : ""));
      chip.title = `hold ${r.hold_s} s` + (flags ? `; flags: ${flags}` : "");
      chips.append(chip);
    }
    c.append(chips);
    if (last && last.flags && last.flags.length) c.append(el("p", "alert flag", "flags: " + last.flags.join(", ")));
    none.hidden = sets.size > 0;
  }
  function apply(ev) {
    const d = ev.device;
    if (ev.type === "session_ended") { sets.delete(d); const c = document.getElementById("live-" + d);
      if (c) c.remove(); none.hidden = sets.size > 0; return; }
    let s = sets.get(d);
    if (!s || (ev.session && s.session !== ev.session)) { s = {device: d, session: ev.session, reps: []}; sets.set(d, s); }
    for (const k of ["label", "exercise", "exercise_name", "target_rom_deg", "band"]) if (ev[k] !== undefined) s[k] = ev[k];
    if (typeof ev.set === "number" && ev.set !== s.set) { s.set = ev.set; s.reps = []; }
    if (ev.type === "rep" && ev.rep) s.reps.push(ev.rep);
    s.state = ev.type === "set_ended" && ev.failed === true ? "sensor_stopped"  // as clinic/live.py
      : (ev.type === "paused" || ev.type === "set_ended") ? ev.type : "running";
    card(s);
  }
  const es = new EventSource(box.dataset.stream);
  es.addEventListener("snapshot", (e) => { sets.clear(); box.replaceChildren();
    for (const s of JSON.parse(e.data)) { sets.set(s.device, s); card(s); }
    none.hidden = sets.size > 0; status.textContent = "connected"; });
  es.addEventListener("live", (e) => apply(JSON.parse(e.data)));
  es.onerror = () => { status.textContent = "reconnecting…"; };
})();
