// Finding a rest station: the phone's position when it gives it, a chosen place when it does not.
(function () {
  "use strict";
  var form = document.getElementById("st-find");
  if (form) {
    var button = document.getElementById("st-locate");
    var note = document.getElementById("st-locate-msg");
    if (navigator.geolocation) {
      button.hidden = false;
      button.addEventListener("click", function () {
        note.textContent = button.dataset.wait || "…";
        navigator.geolocation.getCurrentPosition(function (pos) {
          document.getElementById("st-lat").value = pos.coords.latitude.toFixed(6);
          document.getElementById("st-lng").value = pos.coords.longitude.toFixed(6);
          document.getElementById("st-place").value = "";
          form.submit();
        }, function () {
          note.textContent = button.dataset.refused;
          document.getElementById("st-place").focus();
        }, {enableHighAccuracy: false, timeout: 10000, maximumAge: 120000});
      });
    }
  }
  // On an outdoor worker's home: where the phone already lets the site know its place, list from there.
  var home = document.getElementById("st-home");
  if (home && navigator.geolocation && navigator.permissions) {
    navigator.permissions.query({name: "geolocation"}).then(function (state) {
      if (state.state !== "granted") return;
      navigator.geolocation.getCurrentPosition(function (pos) {
        var url = home.dataset.findUrl + "?open_only=1&lat=" + pos.coords.latitude.toFixed(6) +
          "&lng=" + pos.coords.longitude.toFixed(6);
        fetch(url, {headers: {"HX-Request": "true"}}).then(function (r) { return r.ok ? r.text() : null; })
          .then(function (html) { if (html) home.innerHTML = html; });
      });
    });
  }
})();
