// Calendar grid: paint each appointment with its service's colour. CSP forbids inline style
// attributes, but setting a style property from a same-origin script is allowed.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".cal-appt-link[data-colour]").forEach(function (el) {
    if (/^#[0-9a-fA-F]{6}$/.test(el.dataset.colour)) {
      el.style.borderLeftColor = el.dataset.colour;
    }
  });
});
