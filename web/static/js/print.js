/* The "In" (Print) button of printable documents: shown only when this script runs, it opens the print dialog.
 *
 * Markup: <button type="button" data-print hidden>...</button>. Without JavaScript the button stays hidden
 * and the browser's own print command still prints the page.
 */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
