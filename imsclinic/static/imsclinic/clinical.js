// Clinical charting enhancements (no inline scripts; the pages work without this file).
(function () {
  "use strict";

  // Body chart. A toolbar (hidden without JavaScript) chooses what a tap marks: pain, with the
  // chosen type and intensity, or one of Gunn's signs, drawn as a dot in the sign's colour. Each
  // tap writes to the form controls that are submitted (the region list for pain, the sign's
  // multi-select for signs), so the no-JavaScript form stays the single source of truth; with
  // JavaScript the sign multi-selects are hidden.
  var SVG_NS = "http://www.w3.org/2000/svg";

  function chartMode() {
    var checked = document.querySelector('input[name="chart-mode"]:checked');
    return checked ? checked.value : "pain";
  }

  function signSelect(signId) {
    return document.querySelector('select[data-sign="' + signId + '"]');
  }

  function signOption(signId, regionId) {
    var select = signSelect(signId);
    return select ? select.querySelector('option[value="' + regionId + '"]') : null;
  }

  function isPainMarked(regionId) {
    var type = document.getElementById("bc-" + regionId + "-type");
    return !!(type && type.value);
  }

  // Coloured dots, one per sign recorded on the region, inside the region's rectangle.
  function drawSignDots(rect) {
    var id = rect.getAttribute("data-region");
    var svg = rect.ownerSVGElement;
    svg.querySelectorAll('[data-dot-for="' + id + '"]').forEach(function (dot) { dot.remove(); });
    var x = parseFloat(rect.getAttribute("x")), y = parseFloat(rect.getAttribute("y"));
    var perRow = Math.max(1, Math.floor((parseFloat(rect.getAttribute("width")) - 2) / 8));
    var count = 0;
    document.querySelectorAll("select[data-sign]").forEach(function (select) {
      var option = select.querySelector('option[value="' + id + '"]');
      if (!option || !option.selected) return;
      var dot = document.createElementNS(SVG_NS, "circle");
      dot.setAttribute("cx", x + 5 + (count % perRow) * 8);
      dot.setAttribute("cy", y + 5 + Math.floor(count / perRow) * 8);
      dot.setAttribute("r", "3.4");
      dot.setAttribute("class", "sign-dot sign-colour-" + select.getAttribute("data-colour"));
      dot.setAttribute("data-dot-for", id);
      dot.setAttribute("aria-hidden", "true");
      svg.appendChild(dot);
      count += 1;
    });
  }

  // aria-pressed tells what the current mode would change: marked with pain, or with the sign.
  function refreshPressed() {
    var mode = chartMode();
    document.querySelectorAll("rect[data-region]").forEach(function (rect) {
      var id = rect.getAttribute("data-region");
      var pressed;
      if (mode === "pain") {
        pressed = isPainMarked(id);
      } else {
        var option = signOption(mode, id);
        pressed = !!(option && option.selected);
      }
      rect.setAttribute("aria-pressed", pressed ? "true" : "false");
    });
  }

  function togglePain(rect) {
    var id = rect.getAttribute("data-region");
    var type = document.getElementById("bc-" + id + "-type");
    var intensity = document.querySelector('[name="bc-' + id + '-intensity"]');
    if (!type || !intensity) return;
    var row = document.querySelector('[data-region-row="' + id + '"]');
    var marked = !isPainMarked(id);
    rect.classList.toggle("marked", marked);
    if (marked) {
      var brushType = document.querySelector("[data-brush-type]");
      var brushIntensity = document.querySelector("[data-brush-intensity]");
      type.value = brushType ? brushType.value : "aching";
      intensity.value = brushIntensity ? brushIntensity.value : "5";
      if (row) row.classList.remove("unmarked");
    } else {
      type.value = "";
      intensity.value = "";
      if (row) row.classList.add("unmarked");
    }
    refreshMarkedCount(row);
  }

  // The region list's summary says how many regions are marked; keep it true after each tap.
  function refreshMarkedCount(row) {
    var list = row && row.closest("details.region-list");
    var summary = list && list.querySelector("summary");
    if (!summary) return;
    var marked = list.querySelectorAll("tr[data-region-row]:not(.unmarked)").length;
    summary.textContent = "Regions and marks (" + marked + " marked)";
  }

  // Region pickers (located precautions on the pre-session check): a tap toggles the region in
  // the multi-select the form submits; the chart shows what is chosen.
  function pickerSelect(picker) {
    return document.getElementById(picker.getAttribute("data-region-picker"));
  }

  function refreshPicker(picker) {
    var select = pickerSelect(picker);
    if (!select) return;
    var names = [];
    picker.querySelectorAll("rect[data-region]").forEach(function (rect) {
      var option = select.querySelector('option[value="' + rect.getAttribute("data-region") + '"]');
      var chosen = !!(option && option.selected);
      rect.classList.toggle("marked", chosen);
      rect.setAttribute("aria-pressed", chosen ? "true" : "false");
      if (chosen) names.push(option.textContent);
    });
    var summary = picker.querySelector("[data-picker-summary]");
    if (summary) summary.textContent = names.length ? "Chosen: " + names.join(", ") : "None chosen.";
  }

  function enhancePickers() {
    document.querySelectorAll("[data-region-picker]").forEach(function (picker) {
      var fallback = document.querySelector(
        '[data-picker-fallback="' + picker.getAttribute("data-region-picker") + '"]'
      );
      if (!pickerSelect(picker)) return;
      picker.hidden = false;
      if (fallback) fallback.hidden = true;
      refreshPicker(picker);
    });
  }

  function toggleRegion(rect) {
    var picker = rect.closest("[data-region-picker]");
    if (picker) {
      var select = pickerSelect(picker);
      var option = select && select.querySelector(
        'option[value="' + rect.getAttribute("data-region") + '"]'
      );
      if (option) option.selected = !option.selected;
      refreshPicker(picker);
      return;
    }
    var mode = chartMode();
    if (mode === "pain") {
      togglePain(rect);
    } else {
      var option = signOption(mode, rect.getAttribute("data-region"));
      if (!option) return;
      option.selected = !option.selected;
      drawSignDots(rect);
    }
    refreshPressed();
  }

  function enhanceBodyChart() {
    var tools = document.querySelector("[data-chart-tools]");
    if (!tools) return;
    tools.hidden = false;
    var lists = document.querySelector("[data-sign-lists]");
    if (lists) lists.hidden = true;
    document.querySelectorAll("rect[data-region]").forEach(drawSignDots);
    refreshPressed();
    tools.addEventListener("change", function (event) {
      if (event.target.name !== "chart-mode") return;
      var help = tools.querySelector("[data-mode-help]");
      if (help) help.textContent = event.target.getAttribute("data-help") || "";
      var brush = tools.querySelector("[data-pain-brush]");
      if (brush) brush.hidden = event.target.value !== "pain";
      refreshPressed();
    });
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

  // Spinal palpation: one tap cycles a level and side through none -> tender -> taut, writing
  // the two checkboxes of the plain grid (hidden with JavaScript) that the form submits.
  var NEXT_STATE = { None: "Tender", Tender: "Taut", Taut: "None", Both: "None" };

  function setLevelCell(button, label) {
    var base = button.getAttribute("data-level-cell");
    var tender = document.querySelector('input[name="level"][value="' + base + '|tender"]');
    var taut = document.querySelector('input[name="level"][value="' + base + '|taut"]');
    if (!tender || !taut) return;
    tender.checked = label === "Tender" || label === "Both";
    taut.checked = label === "Taut" || label === "Both";
    button.textContent = label;
    button.setAttribute("data-state", label.toLowerCase());
    button.setAttribute("aria-label", button.getAttribute("data-name") + ": " + label);
  }

  function enhanceLevelGrid() {
    var taps = document.querySelector("[data-level-taps]");
    if (!taps) return;
    var boxes = document.querySelector("[data-level-boxes]");
    taps.hidden = false;
    if (boxes) boxes.hidden = true;
    taps.querySelectorAll("[data-level-cell]").forEach(function (button) {
      button.setAttribute("data-state", button.textContent.trim().toLowerCase());
    });
    taps.addEventListener("click", function (event) {
      var button = event.target.closest("[data-level-cell]");
      if (!button || button.closest("fieldset[disabled]")) return;
      setLevelCell(button, NEXT_STATE[button.textContent.trim()] || "None");
    });
  }

  // "Accept with edits": the suggestion goes into the accepted segments, ready to edit.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-accept-edit]");
    if (!link) return;
    var panel = document.getElementById("findings-panel");
    var accepted = document.getElementById("id_accepted_segments");
    if (!panel || !accepted) return;
    event.preventDefault();
    accepted.value = panel.getAttribute("data-suggested") || accepted.value;
    accepted.setAttribute("data-prefilled", "edited");
    accepted.focus();
    accepted.setSelectionRange(accepted.value.length, accepted.value.length);
  });

  function enhance() {
    enhancePickers();
    enhanceBodyChart();
    enhanceLevelGrid();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", enhance);
  } else {
    enhance();
  }

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
