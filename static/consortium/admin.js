/* The consortium admin's small behaviours, in a static file: the
 * Content-Security-Policy runs no inline handlers (onclick="..."). */
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var field = e.target.closest && e.target.closest("[data-select-on-click]");
    if (field) field.select();
  });
})();
