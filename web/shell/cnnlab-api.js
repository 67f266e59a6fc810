// cnnlab-api.js — the page's JavaScript API, window.cnnlab, and the glue that starts the app.
// README.md documents the API; web/app.h is its C++ side.
//
//   await cnnlab.ready
//   cnnlab.labs()            -> ["hand-conv", ...]
//   cnnlab.state()           -> {lab: "hand-conv", ...the lab's fields}
//   cnnlab.command({...})    -> the new state, or {error: "..."} (nothing changes on error)
//   cnnlab.on(fn)            -> fn(event, state) on events: "ready", "lab-changed", "answer", "hint", "progress", ...
//   cnnlab.progress()        -> {concepts: [{id, lab, title, state, right_in_a_row, answered, correct, mistakes}], labs: {...}}
//   await cnnlab.link()      -> this page's URL with the open lab's state in its fragment (#s=...)
//
// A course page on another origin embeds the lab in an iframe and talks to it with messages
// (README: "Embedding in a course"; web/shell/cnnlab-embed.js wraps them):
//   parent -> lab  {type: "cnnlab", id, command}             (command: what cnnlab.command takes)
//   lab -> parent  {type: "cnnlab", event: "reply", id, state} or {type: "cnnlab", event: "error", id, error}
//                  {type: "cnnlab", event, state} for "ready", "lab-changed", "answer", "exercise-complete", ...
// Messages go only to the embedding page's origin (?origin=, else the referrer's), never to "*".
(function () {
  'use strict';
  const MAX_COMMAND_CHARS = 1 << 20;  // a command larger than 1 MB is refused, not parsed
  const params = new URLSearchParams(location.search);
  const statusBox = document.getElementById('status');
  const noticeBox = document.getElementById('notice');
  const listeners = [];
  let running = false;
  let storageReported = false;  // the storage failure is said once
  const KEPT_READ_WAIT_MS = 3000;       // the app starts without IndexedDB's values after this
  const kept = new Map();  // key -> Uint8Array: what IndexedDB holds, read before the app starts
  let keptDb = null;       // the IndexedDB database "cnnlab" (null where the browser refuses it)
  // Opens IndexedDB and reads everything kept there; resolves in any case (without it, kept bytes
  // go to localStorage as base64).
  function readKept() {
    return new Promise((resolve) => {
      // a browser that never answers (an open blocked by another tab) must not hold the app back
      setTimeout(resolve, KEPT_READ_WAIT_MS);
      let request;
      try { request = indexedDB.open('cnnlab', 1); } catch (e) { resolve(); return; }
      request.onupgradeneeded = () => request.result.createObjectStore('kept');
      request.onerror = request.onblocked = () => resolve();
      request.onsuccess = () => {
        const db = request.result;
        const store = db.transaction('kept', 'readonly').objectStore('kept');
        const keys = store.getAllKeys(), values = store.getAll();
        values.onsuccess = () => {
          keys.result.forEach((k, i) => kept.set(k, values.result[i]));
          keptDb = db;
          resolve();
        };
        values.onerror = () => resolve();
      };
    });
  }
  let resolveReady;

  function showStatus(text, isError) {
    statusBox.textContent = text;
    statusBox.className = isError ? 'error' : '';
    statusBox.style.display = text ? 'flex' : 'none';
  }
  function showNotice(text) {
    noticeBox.textContent = text;
    noticeBox.style.display = 'block';
    setTimeout(() => { noticeBox.style.display = 'none'; }, 8000);
  }
  function reply(pointer) { return JSON.parse(Module.UTF8ToString(pointer)); }
  const notReady = () => ({ error: 'CNN Lab is still loading: wait for cnnlab.ready' });

  const cnnlab = {
    ready: new Promise((resolve) => { resolveReady = resolve; }),
    firstFrameMs: null,  // milliseconds from navigation start to the first frame drawn
    framesDrawn: 0,      // frames drawn so far (while a lab trains, the page skips the display's extra ticks)
    keepsFrames: false,  // whether the canvas keeps its frames, so each draws only what changed (web/damage.h)

    labs() { return running ? reply(Module._cnnlab_labs_json()) : notReady(); },
    state() { return running ? reply(Module._cnnlab_state_json()) : notReady(); },
    command(command) {
      if (!running) return notReady();
      if (command === null || typeof command !== 'object' || Array.isArray(command))
        return { error: 'a command must be an object, like {"stride": 2}' };
      let text;
      try { text = JSON.stringify(command); } catch (e) { return { error: 'the command cannot be sent as JSON: ' + String(e.message).split('\n')[0] }; }
      if (text.length > MAX_COMMAND_CHARS) return { error: 'the command is too large (over 1 MB)' };
      const size = Module.lengthBytesUTF8(text) + 1;
      const pointer = Module._malloc(size);
      try {
        Module.stringToUTF8(text, pointer, size);
        return reply(Module._cnnlab_command_json(pointer));
      } finally {
        Module._free(pointer);
      }
    },
    on(listener) { if (typeof listener === 'function') listeners.push(listener); },
    // What the student has mastered: every concept's state ("new", "practising", "mastered"), and every lab's answer counts.
    progress() {
      const state = cnnlab.command({ progress: true });
      return state.error ? state : state.progress;
    },
    // The page's address with the open lab's state packed into the fragment: opening it restores that state.
    async link() {
      if (!running) throw new Error(notReady().error);
      const url = new URL(location.href);
      url.hash = 's=' + await packState(cnnlab.state());
      return url.href;
    },

    // For browser tests: where named widgets were drawn in the last frame, {name: [x, y, w, h]}.
    _anchors() { return running ? reply(Module._cnnlab_anchors_json()) : notReady(); },
    // For browser tests: the next frame draws the whole screen, not only what changed (web/damage.h).
    _redrawAll() { if (running) Module._cnnlab_redraw_all(); },

    // Called by the app (web/main.cpp).
    _event(event, stateJson) {
      const state = JSON.parse(stateJson);
      for (const listener of listeners) { try { listener(event, state); } catch (e) { console.warn(e); } }
      toParent({ type: 'cnnlab', event, state });
    },
    _firstFrame() {
      cnnlab.firstFrameMs = performance.now();
      showStatus('');
      cnnlab.ready.then(() => cnnlab._event('ready', JSON.stringify(cnnlab.state())));
    },
    // The lab list's "Copy link" button: the link goes into the address bar and onto the clipboard.
    async _copyLink() {
      try {
        const link = await cnnlab.link();
        history.replaceState(null, '', link);
        try { await navigator.clipboard.writeText(link); showNotice('Link copied: it opens this lab exactly as it is now.'); }
        catch (e) { showNotice('The link is in the address bar (the clipboard was not available).'); }
      } catch (e) {
        showNotice('No link: ' + (e.message || e));
      }
    },
    // Bytes the labs keep between visits (a training session: weights and the optimizer's state,
    // about 1 MB for the deep preset), in IndexedDB as they are: an IndexedDB write copies them and
    // is done off the page's thread, whereas 1 MB as text in localStorage held it for 60-110 ms. All
    // of IndexedDB is read into `kept` once before the app starts (Module.preRun), so that reading
    // stays synchronous. Where the browser refuses IndexedDB they go to localStorage as base64.
    _keepBytes(key, bytes) {
      if (!keptDb) { localStorage.setItem(key, toBase64(bytes)); return; }
      kept.set(key, bytes);
      const tx = keptDb.transaction('kept', 'readwrite');
      tx.objectStore('kept').put(bytes, key);
      tx.onerror = tx.onabort = () => cnnlab._storageFailed(String((tx.error && tx.error.name) || 'IndexedDB refused it'));
      // a copy kept as base64 before goes only once these bytes are written
      tx.oncomplete = () => { try { localStorage.removeItem(key); } catch (e) { /* refused: no copy there */ } };
    },
    _keptBytes(key) {
      if (kept.has(key)) return kept.get(key);
      const text = localStorage.getItem(key);
      return text === null ? null : fromBase64(text);
    },
    // The browser refused to keep something (storage full, or not allowed as in some private windows).
    _storageFailed(why) {
      if (storageReported) return;
      storageReported = true;
      console.warn('CNN Lab: the browser (localStorage, IndexedDB) refused to keep the work: ' + why);
      showNotice('This browser is not keeping your work (its storage is full or not allowed: ' + why + '), so it will be lost when the page reloads.');
    },
    // A lab asked for a picture: a shipped photo by name, or "upload" (the student's own file).
    _loadPicture(name) {
      if (name === 'upload') { filePicker.click(); return; }
      fetchAsset('photos/' + encodeURIComponent(name) + '.png')
        .then((r) => { if (!r.ok) throw new Error('photos/' + name + '.png is missing (' + r.status + ')'); return r.blob(); })
        .then((blob) => deliverPicture(name, blob))
        .catch((e) => deliverPicture(name, null, String(e.message || e)));
    },
  };
  window.cnnlab = cnnlab;

  // ---- Files: a download to save, a file picker to open (for the lab that asked).
  cnnlab._saveFile = (name, bytes) => {
    const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
    const a = document.createElement('a');
    a.href = url; a.download = name;
    document.body.appendChild(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  };
  const filesPicker = document.createElement('input');
  filesPicker.type = 'file';
  filesPicker.id = 'cnnlab-open-file';
  filesPicker.style.display = 'none';
  let filePurpose = '';
  filesPicker.addEventListener('change', async () => {
    const file = filesPicker.files[0];
    filesPicker.value = '';
    if (!file || !running) return;
    const text = (str) => { const n = Module.lengthBytesUTF8(str) + 1, p = Module._malloc(n); Module.stringToUTF8(str, p, n); return p; };
    let bytes = null, error = null;
    if (file.size > 256 * 1024 * 1024) error = `${file.name} is larger than 256 MB`;
    else bytes = new Uint8Array(await file.arrayBuffer());
    const ptrs = [text(filePurpose), text(file.name)], errorPtr = error ? text(error) : 0;
    const data = bytes && bytes.length ? Module._malloc(bytes.length) : 0;
    if (data) Module.HEAPU8.set(bytes, data);
    try { Module._cnnlab_file(ptrs[0], ptrs[1], data, bytes ? bytes.length : 0, errorPtr); }
    finally { ptrs.forEach((p) => Module._free(p)); if (data) Module._free(data); if (errorPtr) Module._free(errorPtr); }
  });
  cnnlab._openFile = (purpose, accept) => {
    filePurpose = purpose;
    filesPicker.accept = accept;
    if (!filesPicker.isConnected) document.body.appendChild(filesPicker);
    filesPicker.click();
  };

  // ---- Datasets: four gzipped IDX files, fetched with progress, unpacked by the browser.
  cnnlab._loadDataset = async (name) => {
    const files = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
    const text = (str) => { const n = Module.lengthBytesUTF8(str) + 1, p = Module._malloc(n); Module.stringToUTF8(str, p, n); return p; };
    const namePtr = text(name);
    let parts = [], error = null;
    try {
      const responses = await Promise.all(files.map((f) => fetchAsset(`data/${encodeURIComponent(name)}/${f}`)));
      for (const r of responses) if (!r.ok) throw new Error(`${r.url} answered ${r.status}`);
      const total = responses.reduce((sum, r) => sum + Number(r.headers.get('content-length') || 0), 0);
      let received = 0;
      parts = await Promise.all(responses.map(async (r) => {
        const counted = r.body.pipeThrough(new TransformStream({
          transform(chunk, controller) {
            received += chunk.length;
            if (total) Module._cnnlab_dataset_progress(namePtr, Math.min(received / total, 1));
            controller.enqueue(chunk);
          },
        }));
        return new Uint8Array(await new Response(counted.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
      }));
    } catch (e) {
      error = `the ${name} dataset could not be loaded: ${e.message || e}`;
    }
    const errorPtr = error ? text(error) : 0;
    try {
      // each file goes straight into the vector the app's dataset keeps (see cnnlab_dataset_part); the
      // memory may grow on the way, so HEAPU8 is read after each part's room is made
      if (!error) {
        parts.forEach((bytes, i) => {
          const p = Module._cnnlab_dataset_part(i, bytes.length);
          Module.HEAPU8.set(bytes, p);
        });
      }
      Module._cnnlab_dataset(namePtr, errorPtr);
    } finally {
      Module._free(namePtr);
      if (errorPtr) Module._free(errorPtr);
    }
  };

  // ---- Pictures: decoded by the browser, scaled to at most 1024 pixels a side, handed to the app.
  // A picture of more than 50 megapixels is refused from its header, before the browser decodes it
  // (the limit of web/picture_file.h, whose picture_size_error() words the refusal).
  const MAX_SIDE = 1024, MAX_PIXELS = 50000000;
  // The size a PNG, GIF or JPEG header gives, or null (another format, or no header yet).
  async function headerSize(blob) {
    const b = new Uint8Array(await blob.slice(0, 65536).arrayBuffer());
    const be16 = (i) => (b[i] << 8) | b[i + 1], be32 = (i) => ((b[i] << 24) >>> 0) + (b[i + 1] << 16) + (b[i + 2] << 8) + b[i + 3];
    if (b.length >= 24 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return [be32(16), be32(20)];
    if (b.length >= 10 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) return [b[6] | (b[7] << 8), b[8] | (b[9] << 8)];
    if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
      for (let i = 2; i + 9 < b.length;) {
        if (b[i] !== 0xff) return null;
        const marker = b[i + 1];
        if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return [be16(i + 7), be16(i + 5)];
        i += 2 + be16(i + 2);
      }
    }
    return null;
  }
  async function deliverPicture(name, blob, error) {
    if (!running) return;
    let pixels = null, w = 0, h = 0, ow = 0, oh = 0;
    const shown = name.replace(/^file:/, '');
    let tooLarge = false;  // then the app gets its size and no pixels, and says why it is refused
    if (!error && blob) {
      const size = await headerSize(blob).catch(() => null);
      if (size && size[0] * size[1] > MAX_PIXELS) [ow, oh, tooLarge] = [size[0], size[1], true];
    }
    if (!error && !tooLarge) {
      try {
        const probe = await createImageBitmap(blob);
        ow = probe.width; oh = probe.height;
        const scale = Math.min(1, MAX_SIDE / Math.max(ow, oh));
        w = Math.max(1, Math.round(ow * scale)); h = Math.max(1, Math.round(oh * scale));
        const canvas = document.createElement('canvas');
        canvas.width = w; canvas.height = h;
        const g = canvas.getContext('2d');
        g.drawImage(probe, 0, 0, w, h);
        probe.close();
        pixels = g.getImageData(0, 0, w, h).data;
      } catch (e) {
        error = shown + ' is not a picture the browser can read';
      }
    }
    const text = (str) => { const n = Module.lengthBytesUTF8(str) + 1, p = Module._malloc(n); Module.stringToUTF8(str, p, n); return p; };
    const namePtr = text(name), errorPtr = error ? text(error) : 0;
    let dataPtr = 0;
    if (pixels) { dataPtr = Module._malloc(pixels.length); Module.HEAPU8.set(pixels, dataPtr); }
    try {
      Module._cnnlab_picture(namePtr, dataPtr, w, h, ow, oh, errorPtr);
    } finally {
      Module._free(namePtr);
      if (errorPtr) Module._free(errorPtr);
      if (dataPtr) Module._free(dataPtr);
    }
  }
  const filePicker = document.createElement('input');
  filePicker.type = 'file';
  filePicker.id = 'cnnlab-open-picture';
  filePicker.accept = 'image/*';
  filePicker.style.display = 'none';
  document.body.appendChild(filePicker);
  filePicker.addEventListener('change', () => {
    const file = filePicker.files[0];
    if (file) deliverPicture('file:' + file.name, file);
    filePicker.value = '';
  });
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    const file = e.dataTransfer && e.dataTransfer.files[0];
    if (file) deliverPicture('file:' + file.name, file);
  });

  // ---- Keyboard focus: SDL cancels the mouse's default action, which would have focused the page;
  // focus the canvas ourselves, so that inside a course page's iframe the keys come to the lab.
  document.getElementById('canvas').addEventListener('contextmenu', (e) => e.preventDefault());  // a right click is the lab's
  document.getElementById('canvas').addEventListener('pointerdown', (e) => {
    e.currentTarget.focus({ preventScroll: true });
  }, { capture: true });

  // ---- The WebGL context can be lost (the browser takes the GPU back) and restored.
  const canvasElement = document.getElementById('canvas');
  canvasElement.addEventListener('webglcontextlost', (e) => {
    e.preventDefault();  // without this the browser never gives the context back
    if (running) Module._cnnlab_context_lost();
  });
  canvasElement.addEventListener('webglcontextrestored', () => { if (running) Module._cnnlab_context_restored(); });

  // ---- A course page that embeds this one: events out, commands in, only with that page's origin.
  const embedded = window.parent !== window;
  const originOf = (text) => { try { const o = new URL(text).origin; return o === 'null' ? null : o; } catch (e) { return null; } };
  const fixedOrigin = params.has('origin') ? originOf(params.get('origin')) : null;  // ?origin=https://course.example
  let parentOrigin = fixedOrigin || (embedded && document.referrer ? originOf(document.referrer) : null);
  function toParent(message) {
    if (embedded && parentOrigin) window.parent.postMessage(message, parentOrigin);
  }
  const MAX_MESSAGE_CHARS = 1 << 20;
  window.addEventListener('message', (e) => {
    if (!embedded || e.source !== window.parent) return;          // only the embedding page may drive the lab
    if (params.has('origin') && e.origin !== fixedOrigin) return;  // and only from the origin the link names
    const m = e.data;
    if (m === null || typeof m !== 'object' || Array.isArray(m) || m.type !== 'cnnlab' || 'event' in m) return;  // not for us
    if (!parentOrigin && originOf(e.origin)) parentOrigin = originOf(e.origin);  // no referrer: the first command says who it is
    const sender = originOf(e.origin);
    if (!sender) return;  // an opaque origin (a sandboxed or file:// page) cannot be answered without "*"
    const id = (typeof m.id === 'string' && m.id.length <= 200) || (typeof m.id === 'number' && Number.isFinite(m.id)) ? m.id : null;
    const answer = (message) => e.source.postMessage(Object.assign({ type: 'cnnlab', id }, message), sender);
    let size = 0;
    try { size = JSON.stringify(m).length; } catch (err) { return answer({ event: 'error', error: 'the message cannot be read as JSON' }); }
    if (size > MAX_MESSAGE_CHARS) return answer({ event: 'error', error: 'the message is too large (over 1 MB)' });
    const unknown = Object.keys(m).filter((k) => !['type', 'id', 'command'].includes(k));
    if (unknown.length) return answer({ event: 'error', error: `unknown field "${unknown[0].slice(0, 40)}": a message has type, id and command` });
    if (m.id !== undefined && id === null) return answer({ event: 'error', error: '"id" must be a string (up to 200 characters) or a number' });
    if (m.command === null || typeof m.command !== 'object' || Array.isArray(m.command))
      return answer({ event: 'error', error: '"command" must be an object, what cnnlab.command() takes, like {"lab": "hand-conv"}' });
    const result = cnnlab.command(m.command);
    if (result.error) answer({ event: 'error', error: result.error });
    else answer({ event: 'reply', state: result });
  });

  // ---- Links: the open lab's state, JSON compressed with deflate and written in base64url.
  // (base64 also carries kept bytes where IndexedDB is refused; links use its URL form, unpadded)
  const toBase64 = (bytes) => {
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(text);
  };
  const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const toBase64Url = (bytes) => toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const fromBase64Url = (text) => fromBase64(text.replace(/-/g, '+').replace(/_/g, '/'));
  async function packState(state) {
    const stream = new Blob([JSON.stringify(state)]).stream().pipeThrough(new CompressionStream('deflate-raw'));
    return '1.' + toBase64Url(new Uint8Array(await new Response(stream).arrayBuffer()));
  }
  async function unpackState(packed) {
    if (!packed.startsWith('1.') || packed.length > 4 * MAX_MESSAGE_CHARS) throw new Error('it is not a CNN Lab link');
    const stream = new Blob([fromBase64Url(packed.slice(2))]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
    return JSON.parse(await new Response(stream).text());
  }
  // Opens a link's state; a damaged or outdated one opens the lab's defaults and says so in one line.
  async function openLink(packed) {
    let state;
    try { state = await unpackState(packed); } catch (e) { showNotice('This link is damaged, so the lab opened as usual.'); return; }
    const result = cnnlab.command(state);
    if (!result.error) return;
    if (state && typeof state.lab === 'string') cnnlab.command({ lab: state.lab });
    showNotice('This link no longer fits the lab (' + result.error + '), so the lab opened with its defaults.');
  }

  // ---- Assets: fetched from the site, or (the single-file build) from the page itself.
  function fetchAsset(path) {
    const inline = window.CNNLAB_INLINE && window.CNNLAB_INLINE.assets;
    if (!inline) return fetch(path);
    if (!(path in inline)) return Promise.resolve(new Response(null, { status: 404, statusText: 'not in this offline file' }));
    const bytes = fromBase64Url(inline[path]);
    return Promise.resolve(new Response(bytes, { headers: { 'content-length': String(bytes.length) } }));
  }

  // ?lab=<id>&embed=1 become the app's command-line arguments.
  const args = [];
  if (params.has('lab')) args.push('--lab', params.get('lab').slice(0, 100));
  if (params.get('embed') === '1') args.push('--embed');
  if (params.get('bench') === 'gpu') args.push('--bench', 'gpu');

  window.Module = {
    canvas: document.getElementById('canvas'),
    // The single-file build carries the WebAssembly in the page: no fetch, so it runs from file://.
    wasmBinary: window.CNNLAB_INLINE ? fromBase64Url(window.CNNLAB_INLINE.wasm) : undefined,
    arguments: args,
    // the work kept in IndexedDB is read before main() runs (a lab restores its session at once)
    preRun: [() => {
      Module.addRunDependency('kept-work');
      readKept().then(() => Module.removeRunDependency('kept-work'));
    }],
    print: (text) => console.log(text),
    printErr: (text) => {
      console.warn(text);
      if (text.startsWith('cnnlab: ') && !running) showStatus(text.slice(8), true);
    },
    onAbort: (what) => showStatus('CNN Lab stopped: ' + what + '. Reload the page to start again.', true),
    async onRuntimeInitialized() {
      running = true;
      // ?state=<JSON> sets the lab up from a saved state or a teacher's link; #s=... is a copied link.
      if (params.has('state')) {
        let result;
        try { result = cnnlab.command(JSON.parse(params.get('state'))); } catch (e) { result = { error: 'it is not valid JSON' }; }
        if (result.error) showNotice('The link\'s state was not applied: ' + result.error);
      }
      const hash = new URLSearchParams(location.hash.slice(1));
      if (hash.has('s')) await openLink(hash.get('s'));
      resolveReady();
    },
  };
  if (typeof WebAssembly !== 'object') showStatus('This browser cannot run WebAssembly, which CNN Lab needs.', true);
})();
