// The poster page's print button: the browser's own dialog (the print style sheet puts one code on each sheet).
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
