// Clinical charting enhancements (no inline scripts; the pages work without this file).
(function () {
  "use strict";

  // Body chart: tapping or pressing Enter/Space on a region marks it ("aching", 5) or, when
  // already marked, clears it; the matching row of the region list below holds the values that
  // are submitted, so the form works without JavaScript too.
  function toggleRegion(rect) {
    var id = rect.getAttribute("data-region");
    var type = document.getElementById("bc-" + id + "-type");
    var intensity = document.querySelector('[name="bc-' + id + '-intensity"]');
    if (!type || !intensity) return;
    var marked = rect.classList.toggle("marked");
    rect.setAttribute("aria-pressed", marked ? "true" : "false");
    var row = document.querySelector('[data-region-row="' + id + '"]');
    if (marked) {
      if (!type.value) type.value = "aching";
      if (!intensity.value) intensity.value = "5";
      if (row) row.classList.remove("unmarked");
      var list = rect.closest("fieldset").querySelector(".region-list");
      if (list) list.open = true;
    } else {
      type.value = "";
      intensity.value = "";
      if (row) row.classList.add("unmarked");
    }
  }
  document.addEventListener("click", function (event) {
    var rect = event.target.closest && event.target.closest("[data-region]");
    if (rect && !rect.closest("fieldset[disabled]")) toggleRegion(rect);
  });
  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-region]") && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      if (!el.closest("fieldset[disabled]")) toggleRegion(el);
    }
  });

  // The accepted segments start as the engine's suggestion. While the practitioner has not
  // edited them, they follow the suggestion as findings are added; an edit is never overwritten.
  function followSuggestion() {
    var panel = document.getElementById("findings-panel");
    var accepted = document.getElementById("id_accepted_segments");
    if (!panel || !accepted) return;
    var previous = accepted.getAttribute("data-prefilled");
    if (previous === null) previous = accepted.value;
    if (accepted.value === previous) {
      accepted.value = panel.getAttribute("data-suggested") || accepted.value;
      accepted.setAttribute("data-prefilled", accepted.value);
    }
  }

  // After htmx swaps the findings panel, put the cursor back in the muscle box for the next one.
  document.addEventListener("htmx:afterSwap", function (event) {
    followSuggestion();
    var next = event.target.querySelector && event.target.querySelector("[data-refocus]");
    if (!next && event.detail && event.detail.target) {
      next = document.querySelector("[data-refocus]");
    }
    if (next) next.focus();
  });

  // Needling row form: Enter in any field adds the row (the browser does this for inputs; make
  // selects behave the same), keeping charting on the keyboard.
  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if (event.key === "Enter" && el.tagName === "SELECT" && el.closest("[data-row-form]")) {
      event.preventDefault();
      el.form.requestSubmit();
    }
  });
})();

// Autofocus is skipped by browsers when the URL has a fragment (#add-row after adding a row), so
// put the cursor in the next row's muscle box ourselves: charting continues from the keyboard.
(function () {
  "use strict";
  function focusRowForm() {
    var first = document.querySelector("[data-row-form] [autofocus]");
    var active = document.activeElement;
    if (first && (!active || active === document.body || active.id === "main")) {
      first.focus({ preventScroll: window.location.hash !== "#add-row" });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusRowForm);
  } else {
    focusRowForm();
  }
  // Chrome may restore focus to the body after scrolling to the fragment; try once more.
  window.addEventListener("load", focusRowForm);
})();
