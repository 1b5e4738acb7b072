/* Respondent form: skip logic live in the browser, and focus on the error summary.
   The server applies the same rules (wfsurvey.domain.answers), so the form also works without this file. */
(function () {
  "use strict";

  // A question's partial marks the inputs that carry its answer with data-read-as, saying how to read it:
  // "checked" (radios: the checked one's value), "number" (read as the server reads it, commas ignored), or
  // anything else (the text as typed). Questions nothing may depend on carry no mark: they read as unanswered.
  function valueOf(block) {
    var input = block.querySelector("[data-read-as]");
    if (!input) { return null; }
    var readAs = input.getAttribute("data-read-as");
    if (readAs === "checked") {
      var checked = block.querySelector("[data-read-as]:checked");
      return checked ? checked.value : null;
    }
    var raw = input.value.trim();
    if (raw === "") { return null; }
    if (readAs === "number") {
      var n = Number(raw.replace(/,/g, ""));
      return isNaN(n) ? null : String(n);
    }
    return raw;
  }

  function setShown(block, shown) {
    block.hidden = !shown;
    // Disabled fields are not sent, so a hidden answer never travels (the server would drop it anyway).
    var fields = block.querySelectorAll("input, textarea, select");
    for (var i = 0; i < fields.length; i++) { fields[i].disabled = !shown; }
  }

  function applySkipLogic(form) {
    var blocks = form.querySelectorAll(".question[data-key]");
    var shown = {};
    var values = {};
    // Questions only depend on earlier ones, so one pass in document order settles them all.
    for (var i = 0; i < blocks.length; i++) {
      var block = blocks[i];
      var key = block.getAttribute("data-key");
      var target = block.getAttribute("data-show-if-question");
      var visible = true;
      if (target) {
        visible = shown[target] === true && values[target] !== null &&
          values[target] === block.getAttribute("data-show-if-equals");
        setShown(block, visible);
      }
      shown[key] = visible;
      values[key] = visible ? valueOf(block) : null;
    }
  }

  function init() {
    var form = document.getElementById("answers");
    if (form) {
      // The "Answer only if ..." notes are for readers without JavaScript.
      var notes = form.querySelectorAll(".show-if-note");
      for (var i = 0; i < notes.length; i++) { notes[i].hidden = true; }
      applySkipLogic(form);
      form.addEventListener("change", function () { applySkipLogic(form); });
      form.addEventListener("input", function () { applySkipLogic(form); });
    }
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
