// The therapist's side of a video visit (docs/visits.md): camera and microphone by
// getUserMedia, one RTCPeerConnection, the offer with its candidates POSTed to the server
// (which signs it and relays it to the kiosk over MQTT), the kiosk's answer and state
// polled, cues and hang-up POSTed. STUN/TURN: data-ice, the clinic's [visit] servers.
// No library, nothing from a CDN.
"use strict";
(() => {
  const root = document.getElementById("visit");
  if (!root) return;
  const base = root.dataset.base, csrf = root.dataset.csrf;
  const $ = (id) => document.getElementById(id);
  const stateEl = $("call-state"), reasonEl = $("call-reason");
  const ENDED = ["hung_up", "refused", "declined", "failed"];
  let pc = null, local = null, call = null, poller = null, answered = false;

  function show(state, reason) { stateEl.textContent = state; reasonEl.textContent = reason || ""; }
  function controls(inCall) {
    $("call-start").disabled = inCall;
    $("call-hangup").disabled = !inCall;
    for (const b of document.querySelectorAll("#cue-form button, #cue-text")) b.disabled = !inCall;
  }
  async function post(path, body) {
    const r = await fetch(base + path, {method: "POST", credentials: "same-origin",
      headers: {"content-type": "application/json", "x-csrftoken": csrf},
      body: JSON.stringify(body || {})});
    const data = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(data.error || data.detail || `HTTP ${r.status}`);
    return data;
  }
  function gathered(peer) {
    return new Promise((done) => {
      if (peer.iceGatheringState === "complete") return done();
      const t = setTimeout(done, 3000);  // use what was gathered so far
      peer.addEventListener("icegatheringstatechange", () => {
        if (peer.iceGatheringState === "complete") { clearTimeout(t); done(); } });
    });
  }
  function end(state, reason) {
    if (poller) clearInterval(poller);
    poller = null;
    if (pc) pc.close();
    if (local) for (const t of local.getTracks()) t.stop();
    pc = null; local = null;
    show(state, reason);
    controls(false);
    $("call-start").disabled = true;  // a new call: reload the page
  }
  async function poll() {
    if (!call) return;
    let s;
    try { s = await (await fetch(`${base}/${call}/state`, {credentials: "same-origin"})).json(); }
    catch (e) { return; }
    if (s.answer && !answered) {
      answered = true;
      await pc.setRemoteDescription({type: "answer", sdp: s.answer});
    }
    if (ENDED.includes(s.state)) { end(s.state.replace("_", " "), s.reason); return; }
    const media = pc && pc.connectionState === "connected" ? "connected" : s.state;
    show(media, s.reason);
  }
  async function start() {
    controls(true);
    $("call-hangup").disabled = true;
    show("starting camera");
    try {
      local = await navigator.mediaDevices.getUserMedia({video: true, audio: true});
      $("local").srcObject = local;
      pc = new RTCPeerConnection(JSON.parse(root.dataset.ice || "{}"));
      for (const t of local.getTracks()) pc.addTrack(t, local);
      pc.ontrack = (e) => { $("remote").srcObject = e.streams[0] || new MediaStream([e.track]); };
      pc.onconnectionstatechange = () => {
        if (pc && pc.connectionState === "connected") show("connected");
        if (pc && pc.connectionState === "failed") end("failed", "the media connection failed (check STUN/TURN)");
      };
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      show("calling");
      call = (await post("/offer", {sdp: pc.localDescription.sdp})).call;
      $("call-hangup").disabled = false;
      poller = setInterval(poll, 500);
    } catch (e) {
      end("failed", String(e.message || e));
    }
  }
  async function hangUp() {
    const c = call;
    end("hung up", "you ended the visit");
    if (c) await post(`/${c}/hangup`).catch(() => {});
  }
  async function cue(kind, text) {
    try {
      await post(`/${call}/cue`, {cue: kind, text: text || ""});
      $("cue-sent").textContent = `Sent: ${text || kind}`;
    } catch (e) { $("cue-sent").textContent = `Not sent: ${e.message}`; }
  }
  $("call-start").addEventListener("click", start);
  $("call-hangup").addEventListener("click", hangUp);
  for (const b of document.querySelectorAll("#cue-form button.cue"))
    b.addEventListener("click", () => cue(b.dataset.cue));
  $("cue-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const t = $("cue-text").value.trim();
    if (t) { cue("text", t); $("cue-text").value = ""; }
  });
  window.addEventListener("pagehide", () => {  // leaving the page ends the call on the kiosk too
    if (call && pc) fetch(`${base}/${call}/hangup`, {method: "POST", keepalive: true,
      credentials: "same-origin", body: "{}",
      headers: {"content-type": "application/json", "x-csrftoken": csrf}});
  });
})();
