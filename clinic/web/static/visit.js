// The therapist's side of a video visit (docs/visits.md): camera and microphone by
// getUserMedia, one RTCPeerConnection, the offer with its candidates POSTed to the server
// (which signs it and relays it to the kiosk over MQTT), the kiosk's answer and state
// polled, cues and hang-up POSTed. STUN/TURN: data-ice, the clinic's [visit] servers.
// Recording: "Ask to record" asks the patient on the kiosk; only when the polled state says
// "recording" (the patient's yes) does a MediaRecorder record the patient's stream and the
// therapist's voice; when it stops (Stop here, Stop on the kiosk, a hang-up) the file is
// POSTed to the clinic, which stores it only for a yes. "declined": no or no answer.
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
  let remote = null, recorder = null, chunks = [], mixer = null, saving = null;
  let mayRecord = false;  // one recording per "Ask to record" (a late poll never restarts it)
  const recState = $("record-state");

  function show(state, reason) { stateEl.textContent = state; reasonEl.textContent = reason || ""; }
  function controls(inCall) {
    $("call-start").disabled = inCall;
    $("call-why").textContent = inCall ? "A call is on" : "";  // why Start is greyed out
    $("call-hangup").disabled = !inCall;
    for (const b of document.querySelectorAll("#cue-form button, #cue-text")) b.disabled = !inCall;
    if (!inCall) $("record-ask").disabled = true;
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
  // --- recording (only after the patient's yes on the kiosk) ---------------------------
  function recordStream() {
    const tracks = remote ? remote.getVideoTracks() : [];
    const voices = [...(remote ? remote.getAudioTracks() : []),
                    ...(local ? local.getAudioTracks() : [])];
    try {  // the patient's and the therapist's voices mixed into one audio track
      if (voices.length) {
        mixer = new AudioContext();
        const out = mixer.createMediaStreamDestination();
        for (const v of voices) mixer.createMediaStreamSource(new MediaStream([v])).connect(out);
        tracks.push(...out.stream.getAudioTracks());
      }
    } catch (e) { mixer = null; tracks.push(...voices.slice(0, 1)); }
    return new MediaStream(tracks);
  }
  function startRecording() {
    if (recorder || !remote || !mayRecord) return;
    mayRecord = false;
    chunks = [];
    const types = ["video/webm;codecs=vp8,opus", "video/webm", "video/mp4"];
    const mimeType = types.find((t) => MediaRecorder.isTypeSupported(t)) || "";
    recorder = new MediaRecorder(recordStream(), mimeType ? {mimeType} : {});
    recorder.ondataavailable = (e) => { if (e.data && e.data.size) chunks.push(e.data); };
    recorder.start(1000);
    recState.textContent = "RECORDING (the patient agreed on the kiosk)";
    recState.className = "error";
    $("record-ask").disabled = true;
    $("record-stop").hidden = false;
  }
  function stopRecording(why) {  // resolves when the file is stored (or refused)
    if (!recorder) return saving || Promise.resolve();
    const r = recorder, c = call;
    recorder = null;
    $("record-stop").hidden = true;
    recState.className = "";
    recState.textContent = `Recording stopped (${why}): saving at the clinic...`;
    saving = new Promise((done) => {
      r.onstop = async () => {
        if (mixer) { mixer.close().catch(() => {}); mixer = null; }
        const blob = new Blob(chunks, {type: r.mimeType || "video/webm"});
        chunks = [];
        try {
          const ended = why === "the call ended" ? "?why=call_ended" : "";
          const res = await fetch(`${base}/${c}/recording${ended}`, {method: "POST",
            credentials: "same-origin", body: blob,
            headers: {"content-type": blob.type.split(";")[0], "x-csrftoken": csrf}});
          const data = await res.json().catch(() => ({}));
          if (!res.ok) throw new Error(data.error || data.detail || `HTTP ${res.status}`);
          recState.textContent = `Recording saved at the clinic (${Math.round(data.bytes / 1024)} KB, ${data.stored}).`;
        } catch (e) { recState.textContent = `Recording not saved: ${e.message}`; }
        done();
      };
      r.stop();
    });
    return saving;
  }
  function recordingState(s) {
    const rec = s.recording || "off";
    if (rec === "asking") recState.textContent = "Asking the patient on the kiosk...";
    else if (rec === "recording") startRecording();
    else if (rec === "declined" && !recorder) {
      mayRecord = false;
      recState.textContent = "The patient declined: nothing is recorded.";
      recState.className = "";
    } else if (rec === "stopped" && recorder)
      stopRecording(s.stopped_by === "patient" ? "the patient stopped it" : "stopped");
    if (rec !== "asking" && rec !== "recording" && !recorder && pc
        && pc.connectionState === "connected") $("record-ask").disabled = false;
  }
  async function askRecording() {
    $("record-ask").disabled = true;
    try {
      await post(`/${call}/record`);
      mayRecord = true;
      recState.className = "";
      recState.textContent = "Asking the patient on the kiosk...";
    } catch (e) { recState.textContent = `Not asked: ${e.message}`; $("record-ask").disabled = false; }
  }
  async function stopByTherapist() {
    // the clinic hears who stopped before the file arrives (it is stored with the file):
    // sent side by side, the upload once came first and was stored as stopped by nobody
    await post(`/${call}/record/stop`).catch(() => {});
    await stopRecording("you stopped it");
  }

  function end(state, reason) {
    if (poller) clearInterval(poller);
    poller = null;
    if (recorder) stopRecording("the call ended");
    if (pc) pc.close();
    if (local) for (const t of local.getTracks()) t.stop();
    pc = null; local = null;
    show(state, reason);
    controls(false);
    $("call-start").disabled = true;  // a new call: reload the page
    $("call-why").textContent = "Reload the page for a new call";
  }
  async function poll() {
    if (!call) return;
    let s;
    try { s = await (await fetch(`${base}/${call}/state`, {credentials: "same-origin"})).json(); }
    catch (e) { return; }
    // the call ended while this poll was on its way (end() stops the poller): its answer
    // is older than the end, and once showed "connected" after the therapist hung up
    if (!poller) return;
    if (s.answer && !answered) {
      answered = true;
      await pc.setRemoteDescription({type: "answer", sdp: s.answer});
    }
    if (ENDED.includes(s.state)) { end(s.state.replace("_", " "), s.reason); return; }
    recordingState(s);
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
      pc.ontrack = (e) => {
        remote = e.streams[0] || remote || new MediaStream();
        if (!e.streams[0]) remote.addTrack(e.track);
        $("remote").srcObject = remote;
      };
      pc.onconnectionstatechange = () => {
        if (pc && pc.connectionState === "connected") {
          show("connected");
          if (!recorder) $("record-ask").disabled = false;
        }
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
  $("record-ask").addEventListener("click", askRecording);
  $("record-stop").addEventListener("click", stopByTherapist);
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
