/* Respondent form: skip logic live in the browser, question numbers without gaps, exclusive options ("None of
   these") unticking the others, and the error summary's links landing on the input.
   The server applies the same rules (wfsurvey.domain.answers), so the form also works without this file. */
(function () {
  "use strict";

  // A question's partial marks the inputs that carry its answer with data-read-as, saying how to read it:
  // "checked" (radios: the checked one's value), "checked-all" (checkboxes: every checked value), "number" (read as
  // the server reads it, commas ignored), or anything else (the text as typed). Questions nothing may depend on carry
  // no mark: they read as unanswered.
  function valueOf(block) {
    var input = block.querySelector("[data-read-as]");
    if (!input) { return null; }
    var readAs = input.getAttribute("data-read-as");
    if (readAs === "checked") {
      var checked = block.querySelector("[data-read-as]:checked");
      return checked ? checked.value : null;
    }
    if (readAs === "checked-all") {
      var picked = [];
      var boxes = block.querySelectorAll("[data-read-as]:checked");
      for (var i = 0; i < boxes.length; i++) { picked.push(boxes[i].value); }
      return picked.length ? picked : null;
    }
    var raw = input.value.trim();
    if (raw === "") { return null; }
    if (readAs === "number") {
      var n = Number(raw.replace(/,/g, ""));
      return isNaN(n) ? null : String(n);
    }
    return raw;
  }

  // The rule of a block, as wfsurvey.domain.skip_logic.holds reads it: an unanswered question meets none.
  function holds(block, answer) {
    if (answer === null) { return false; }
    if (block.hasAttribute("data-show-if-equals")) {
      return answer === block.getAttribute("data-show-if-equals");
    }
    if (block.hasAttribute("data-show-if-not-equals")) {
      return answer !== block.getAttribute("data-show-if-not-equals");
    }
    if (block.hasAttribute("data-show-if-includes")) {
      return Array.isArray(answer) && answer.indexOf(block.getAttribute("data-show-if-includes")) !== -1;
    }
    return false;
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
    var number = parseInt(form.getAttribute("data-first-number") || "1", 10);
    var numbers = {};
    // Questions only depend on earlier ones, so one pass in document order settles them all.
    for (var i = 0; i < blocks.length; i++) {
      var block = blocks[i];
      var key = block.getAttribute("data-key");
      var target = block.getAttribute("data-show-if-question");
      var visible = true;
      if (target) {
        visible = shown[target] === true && holds(block, values[target]);
        setShown(block, visible);
      }
      shown[key] = visible;
      values[key] = visible ? valueOf(block) : null;
      // Numbers run on over the questions shown, so hiding one leaves no gap.
      if (visible) {
        numbers[key] = number;
        var label = block.querySelector(".qnum");
        if (label) { label.textContent = number + "."; }
        number += 1;
      }
    }
    // A section whose every question is hidden is hidden too, and the others say where they stand among those left
    // (a form of one page, where the server could not decide: a preview, or changing submitted answers).
    var sections = form.querySelectorAll(".form-section");
    var open = [];
    for (var s = 0; s < sections.length; s++) {
      sections[s].hidden = sections[s].querySelector(".question[data-key]:not([hidden])") === null;
      if (!sections[s].hidden) { open.push(sections[s]); }
    }
    if (sections.length > 1) {
      for (var o = 0; o < open.length; o++) {
        var count = open[o].querySelector(".step-count");
        if (count) { count.textContent = "Section " + (o + 1) + " of " + open.length; }
      }
    }
    // The error summary names questions by number: keep those in step.
    var refs = document.querySelectorAll("[data-number-of]");
    for (var r = 0; r < refs.length; r++) {
      var n = numbers[refs[r].getAttribute("data-number-of")];
      if (n !== undefined) { refs[r].textContent = String(n); }
    }
  }

  // An exclusive option ("None of these") is picked alone: ticking it unticks the others, ticking another unticks it.
  // Only an aid: the server refuses both together.
  function keepExclusive(event) {
    var box = event.target;
    if (!box || box.type !== "checkbox" || !box.checked) { return; }
    var block = box.closest(".question");
    if (!block || !block.querySelector("[data-exclusive]")) { return; }
    var boxes = block.querySelectorAll('input[type="checkbox"]');
    for (var i = 0; i < boxes.length; i++) {
      var other = boxes[i];
      if (other === box || !other.checked) { continue; }
      if (box.hasAttribute("data-exclusive") || other.hasAttribute("data-exclusive")) { other.checked = false; }
    }
  }

  // A link of the error summary lands on the input and shows the whole question (its label or legend) above it.
  function land(id) {
    var input = id ? document.getElementById(id) : null;
    if (!input || !/^(INPUT|SELECT|TEXTAREA)$/.test(input.tagName)) { return false; }
    var block = input.closest(".question") || input;
    block.scrollIntoView();
    input.focus({preventScroll: true});
    return true;
  }

  function initForm(form) {
    if (!form || form.getAttribute("data-ready") === "1") { return; }
    form.setAttribute("data-ready", "1");
    // The "Answer only if ..." notes are for readers without JavaScript.
    var notes = form.querySelectorAll(".show-if-note");
    for (var i = 0; i < notes.length; i++) { notes[i].hidden = true; }
    applySkipLogic(form);
    form.addEventListener("change", function (event) { keepExclusive(event); applySkipLogic(form); });
    form.addEventListener("input", function () { applySkipLogic(form); });
  }

  function init() {
    initForm(document.getElementById("answers"));
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.addEventListener("click", function (event) {
        var link = event.target.closest("a");
        var href = link ? link.getAttribute("href") : "";
        if (href && href.charAt(0) === "#" && land(href.slice(1))) { event.preventDefault(); }
      });
    }
    // A link from another page's summary names the input after #: land on it as on this page.
    if (!(window.location.hash && land(decodeURIComponent(window.location.hash.slice(1)))) && summary) {
      summary.focus();
    }
  }

  // The survey builder's preview is replaced as staff edit: it sets its new form up through this.
  window.wfsurveyRespond = {initForm: initForm};

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
