// cnnlab-embed.js — puts a CNN Lab lab in a course page on any site and talks to it. No dependencies.
//
//   <div id="lab" style="height: 560px"></div>
//   <script src="https://labs.example.org/cnnlab/cnnlab-embed.js"></script>
//   <script>
//     const lab = CnnLab.embed(document.getElementById('lab'), {
//       lab: 'hand-conv',                                  // which lab
//       onEvent: (event, state, message) => { ... },       // 'ready', 'answer', 'hint', 'progress', 'exercise-complete', ...
//     });
//     await lab.ready;                                     // the lab is usable
//     const state = await lab.command({ mode: 'exercise', new_exercise: 7 });  // rejects with the lab's message
//   </script>
//
// Options: lab (id), src (the app's address; default: where this script came from), state (a state
// to open with, as cnnlab.command takes it), onEvent, title (for screen readers).
// The iframe fills `element`; size the element and the lab follows it.
(function () {
  'use strict';
  const scriptSrc = document.currentScript ? document.currentScript.src : location.href;

  function embed(element, options = {}) {
    if (!(element instanceof Element)) throw new TypeError('CnnLab.embed: the first argument must be a page element');
    const app = new URL(options.src || '.', scriptSrc);
    const url = new URL(app);
    if (options.lab) url.searchParams.set('lab', String(options.lab));
    url.searchParams.set('embed', '1');
    url.searchParams.set('origin', location.origin);  // the lab talks only to this page
    if (options.state) url.searchParams.set('state', JSON.stringify(options.state));
    const iframe = document.createElement('iframe');
    iframe.src = url.href;
    iframe.title = options.title || 'CNN Lab';
    iframe.allow = 'clipboard-write';
    iframe.style.cssText = 'display:block;width:100%;height:100%;border:0';
    element.appendChild(iframe);

    const labOrigin = url.origin;
    const pending = new Map();  // id -> {resolve, reject}
    let nextId = 1, resolveReady;
    const ready = new Promise((resolve) => { resolveReady = resolve; });
    const onEvent = typeof options.onEvent === 'function' ? options.onEvent : () => {};

    function listener(e) {
      if (e.source !== iframe.contentWindow || e.origin !== labOrigin) return;
      const m = e.data;
      if (!m || m.type !== 'cnnlab' || typeof m.event !== 'string') return;
      if ((m.event === 'reply' || m.event === 'error') && pending.has(m.id)) {
        const { resolve, reject } = pending.get(m.id);
        pending.delete(m.id);
        if (m.event === 'reply') resolve(m.state);
        else reject(new Error(m.error));
        return;
      }
      if (m.event === 'ready') resolveReady(m.state);
      onEvent(m.event, m.state, m);
    }
    window.addEventListener('message', listener);

    return {
      iframe,
      ready,
      // Sends a command; resolves to the lab's new state, or rejects with the lab's explanation.
      command(command) {
        return ready.then(() => new Promise((resolve, reject) => {
          const id = nextId++;
          pending.set(id, { resolve, reject });
          iframe.contentWindow.postMessage({ type: 'cnnlab', id, command }, labOrigin);
        }));
      },
      // What the student has mastered: {concepts: [{id, lab, title, state, right_in_a_row, answered, correct, mistakes}],
      // labs: {"hand-conv": {answered, correct}, ...}}.
      progress() { return this.command({ progress: true }).then((state) => state.progress); },
      remove() { window.removeEventListener('message', listener); iframe.remove(); },
    };
  }

  window.CnnLab = { embed };
})();
