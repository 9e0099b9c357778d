// Starts the vendored Swagger UI on the API docs page. A static file, not an inline script, so
// the page works under the app's CSP (script-src 'self'). The schema is fetched and parsed as
// JSON here and handed over as an object: Swagger UI's own loader parses it as YAML, which
// refuses the control-character patterns the schema documents.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  var url = root.dataset.openapiUrl;
  fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("The API schema could not be loaded (" + response.status + ").");
      }
      return response.json();
    })
    .then(function (spec) {
      window.SwaggerUIBundle({
        spec: spec,
        domNode: root,
        layout: "BaseLayout",
        // Deep links put a link inside each operation's summary button (axe: nested-interactive;
        // a screen reader cannot reach it), so operations are opened by their button only.
        deepLinking: false,
        // Highlighted examples are inline-styled spans at 3.4:1 contrast in a scrolling box that
        // a keyboard cannot reach; plain examples take the page's own colours.
        syntaxHighlight: false,
      });
    })
    .catch(function (error) {
      var message = document.createElement("p");
      message.setAttribute("role", "alert");
      message.textContent = error.message;
      root.appendChild(message);
    });
})();
