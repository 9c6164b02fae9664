// Nothing typed is lost: a warning before the idle timeout ends the session, and drafts of long forms kept in
// this browser until they are sent.
//
// <body data-idle-seconds> is the server's idle timeout (SESSION_IDLE_SECONDS) for a signed-in user; texts come
// from data-* attributes of #session-texts, in the page's language.
//
// A form marked data-draft="key" is saved to localStorage as it is typed (passwords, files and the CSRF token
// never). A fresh form (data-draft-fresh="true": the server filled nothing in) takes its draft back. The draft
// is dropped once a page after sending it is neither the login page nor the form sent back with errors, at
// logout, and after DRAFT_HOURS.
(function () {
  "use strict";
  var PREFIX = "gongzhi:draft:";
  var SENT = "gongzhi:draft-sent";
  var DRAFT_HOURS = 24;
  var body = document.body;
  var texts = (document.getElementById("session-texts") || {}).dataset || {};

  function storage(kind) {
    try { return window[kind]; } catch (e) { return null; }  // disabled storage: no drafts, nothing breaks
  }
  var local = storage("localStorage");
  var session = storage("sessionStorage");

  // ---- drafts -------------------------------------------------------------------------------------------

  function kept(el) {
    return el.name && el.name !== "csrfmiddlewaretoken" &&
      ["password", "file", "hidden", "submit", "button", "reset"].indexOf(el.type) < 0;
  }

  function read(form) {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!kept(el)) return;
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked) (data[el.name] = data[el.name] || []).push(el.value);
      } else {
        data[el.name] = el.value;
      }
    });
    return data;
  }

  function write(form, data) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!kept(el) || !(el.name in data)) return;
      var value = data[el.name];
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = Array.isArray(value) && value.indexOf(el.value) >= 0;
      } else {
        el.value = value;
      }
      el.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  function load(key) {
    try {
      var draft = JSON.parse(local.getItem(PREFIX + key) || "null");
      if (draft && Date.now() - draft.at < DRAFT_HOURS * 3600 * 1000) return draft.data;
    } catch (e) { /* a damaged draft is dropped below */ }
    local.removeItem(PREFIX + key);
    return null;
  }

  function save(form) {
    local.setItem(PREFIX + form.dataset.draft, JSON.stringify({ at: Date.now(), data: read(form) }));
  }

  function dropAll() {
    for (var i = local.length - 1; i >= 0; i--) {
      var k = local.key(i);
      if (k && k.indexOf(PREFIX) === 0) local.removeItem(k);
    }
    if (session) session.removeItem(SENT);
  }

  function notice(form) {
    var p = document.createElement("p");
    p.className = "draft-note";
    p.setAttribute("role", "status");
    p.textContent = texts.restored || "";
    var clear = document.createElement("button");
    clear.type = "button";
    clear.className = "btn link";
    clear.textContent = texts.discard || "";
    clear.addEventListener("click", function () {
      local.removeItem(PREFIX + form.dataset.draft);
      form.reset();
      p.remove();
    });
    p.appendChild(clear);
    form.insertBefore(p, form.firstChild);
  }

  if (local) {
    var forms = document.querySelectorAll("form[data-draft]");
    var sent = session && session.getItem(SENT);
    var onLogin = body.dataset.page === "login";
    var sentFormHere = false;
    Array.prototype.forEach.call(forms, function (form) {
      var key = form.dataset.draft;
      if (key === sent) sentFormHere = form.dataset.draftFresh !== "true";  // sent back with errors
      if (form.dataset.draftFresh === "true") {
        var data = load(key);
        if (data) { write(form, data); notice(form); }
      }
      form.addEventListener("input", function () { save(form); });
      form.addEventListener("change", function () { save(form); });
      form.addEventListener("submit", function () {
        save(form);
        if (session) session.setItem(SENT, key);
      });
    });
    if (sent && !onLogin && !sentFormHere && !document.querySelector('form[data-draft="' + sent + '"][data-draft-fresh="true"]')) {
      local.removeItem(PREFIX + sent);  // it went through
      session.removeItem(SENT);
    }
    Array.prototype.forEach.call(document.querySelectorAll("form[data-logout]"), function (form) {
      form.addEventListener("submit", dropAll);  // a shared phone keeps nothing of the last user's
    });
  }

  // ---- the idle warning ---------------------------------------------------------------------------------

  var idle = parseInt(body.dataset.idleSeconds || "0", 10);
  if (!idle) return;
  var last = Date.now();
  var warnAfter = Math.max(idle - 60, idle * 0.8) * 1000;
  var dialog = null;

  function hide() {
    if (dialog) { dialog.remove(); dialog = null; }
  }

  function keepAlive() {
    fetch(body.dataset.keepaliveUrl, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) {
        if (r.status === 204) { last = Date.now(); hide(); } else { expired(); }
      })
      .catch(function () { /* offline: the next tick tells again */ });
  }

  function show(message, withButton) {
    hide();
    dialog = document.createElement("div");
    dialog.className = "idle-warning";
    dialog.setAttribute("role", "alertdialog");
    dialog.setAttribute("aria-live", "assertive");
    var p = document.createElement("p");
    p.textContent = message;
    dialog.appendChild(p);
    if (withButton) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "btn";
      b.textContent = texts.stay || "";
      b.addEventListener("click", keepAlive);
      dialog.appendChild(b);
    }
    body.appendChild(dialog);
  }

  function expired() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-draft]"), function (form) {
      if (local) save(form);
    });
    show(texts.expired || "", false);
  }

  document.addEventListener("htmx:afterRequest", function () { last = Date.now(); });
  setInterval(function () {
    var quiet = Date.now() - last;
    if (quiet >= idle * 1000) {
      if (!dialog || dialog.dataset.state !== "expired") { expired(); dialog.dataset.state = "expired"; }
    } else if (quiet >= warnAfter && !dialog) {
      show(texts.warning || "", true);
    }
  }, 1000);
})();
