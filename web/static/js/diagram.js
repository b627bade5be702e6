/* Draws BPMN diagrams with the vendored bpmn-js viewer (global BpmnJS) and marks tasks on them.
 *
 * Markup: <div class="diagram" data-xml-url="..." data-completed="id1,id2" data-waiting="id3"></div>
 * The XML is fetched from data-xml-url; elements listed in data-completed get the canvas marker
 * 'completed', those in data-waiting the marker 'waiting' (styled in css/app.css). Ids the diagram
 * does not contain are ignored. The page stays usable without this script.
 */
(function () {
  "use strict";

  function ids(text) {
    return (text || "").split(",").map(function (id) { return id.trim(); }).filter(Boolean);
  }

  function mark(viewer, list, marker) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    list.forEach(function (id) {
      if (registry.get(id)) {
        canvas.addMarker(id, marker);
      }
    });
  }

  function draw(element) {
    var viewer = new BpmnJS({ container: element });
    return fetch(element.dataset.xmlUrl, { credentials: "same-origin", headers: { Accept: "application/xml" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        viewer.get("canvas").zoom("fit-viewport", "auto");
        mark(viewer, ids(element.dataset.completed), "completed");
        mark(viewer, ids(element.dataset.waiting), "waiting");
        return viewer;
      })
      .catch(function (error) {
        element.classList.add("diagram-failed");
        element.setAttribute("title", String(error));
      });
  }

  function drawAll() {
    if (typeof BpmnJS === "undefined") {
      return;
    }
    Array.prototype.forEach.call(document.querySelectorAll("div.diagram[data-xml-url]"), draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
