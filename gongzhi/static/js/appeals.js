/* Appeals (诉求) pages: small progressive enhancements. Everything works without this file;
   no inline scripts, so a strict Content-Security-Policy can forbid them. Texts come from
   data- attributes rendered (and translated) by the templates. */
(function () {
  "use strict";

  function each(root, selector, fn) {
    Array.prototype.forEach.call(root.querySelectorAll(selector), fn);
  }

  /* Show the place panel that matches the chosen radio: compound/building, or my location. */
  function setupPlace(form) {
    var radios = form.querySelectorAll("input[name=place]");
    if (!radios.length) return;
    function sync() {
      var chosen = form.querySelector("input[name=place]:checked");
      var value = chosen ? chosen.value : "compound";
      each(form, "[data-place-panel]", function (panel) {
        panel.hidden = panel.getAttribute("data-place-panel") !== value;
      });
    }
    Array.prototype.forEach.call(radios, function (r) { r.addEventListener("change", sync); });
    sync();
  }

  /* "Use my location": the browser's geolocation fills the hidden lat/lng inputs. */
  function setupGeolocation(form) {
    var button = form.querySelector("[data-geolocate]");
    if (!button) return;
    var status = form.querySelector("[data-geo-status]");
    var lat = form.querySelector("input[name=lat]");
    var lng = form.querySelector("input[name=lng]");
    function say(text, kind) {
      if (!status) return;
      status.textContent = text;
      status.className = "geo-status" + (kind ? " " + kind : "");
    }
    if (lat && lat.value && lng && lng.value) {
      say(button.getAttribute("data-msg-ok") + " " + lat.value + ", " + lng.value, "ok");
    }
    button.addEventListener("click", function () {
      if (!("geolocation" in navigator)) {
        say(button.getAttribute("data-msg-unsupported"), "fail");
        return;
      }
      say(button.getAttribute("data-msg-wait"), "");
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(function (pos) {
        lat.value = pos.coords.latitude.toFixed(6);
        lng.value = pos.coords.longitude.toFixed(6);
        var radio = form.querySelector("input[name=place][value=location]");
        if (radio) radio.checked = true;
        button.disabled = false;
        say(button.getAttribute("data-msg-ok") + " " + lat.value + ", " + lng.value, "ok");
        lat.dispatchEvent(new Event("change", { bubbles: true }));
      }, function () {
        button.disabled = false;
        say(button.getAttribute("data-msg-fail"), "fail");
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  /* Categories whose appeals may not be public: the checkbox is switched off (the server checks too). */
  function setupPublic(form) {
    var select = form.querySelector("select[data-private-categories]");
    var box = form.querySelector("input[name=is_public]");
    if (!select || !box) return;
    var privateIds = (select.getAttribute("data-private-categories") || "").split(",").filter(Boolean);
    var note = form.querySelector("[data-private-note]");
    function sync() {
      var isPrivate = privateIds.indexOf(select.value) !== -1;
      box.disabled = isPrivate;
      if (isPrivate) box.checked = false;
      if (note) note.hidden = !isPrivate;
    }
    select.addEventListener("change", sync);
    sync();
  }

  /* Only the buildings of the chosen compound. */
  function setupBuildings(form) {
    var compound = form.querySelector("select[name=compound]");
    var building = form.querySelector("select[data-building-select]");
    if (!compound || !building) return;
    function sync() {
      var k = compound.value;
      each(building, "option[data-compound]", function (opt) {
        var hide = !k || opt.getAttribute("data-compound") !== k;
        opt.hidden = hide;
        opt.disabled = hide;
        if (hide && opt.selected) building.value = "";
      });
    }
    compound.addEventListener("change", sync);
    sync();
  }

  /* Photo pickers: a translated button and count in place of the browser's "Choose Files". */
  function setupFilePick(box) {
    var input = box.querySelector("input[type=file]");
    var count = box.querySelector("[data-file-count]");
    if (!input || !count) return;
    box.classList.add("js");
    function sync() {
      var n = input.files ? input.files.length : 0;
      count.textContent = n ? box.getAttribute("data-msg-some").replace("{n}", n) : box.getAttribute("data-msg-none");
    }
    input.addEventListener("change", sync);
    sync();
  }

  function init() {
    each(document, "[data-file-pick]", setupFilePick);
    each(document, "form[data-appeal-form]", function (form) {
      setupPlace(form);
      setupGeolocation(form);
      setupPublic(form);
      setupBuildings(form);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
