/* Survey builder: the same buttons without reloading the page. Each button still posts the whole builder form and the
   server answers with the page changed (wfsurvey.blueprints.staff.builder); this script swaps the new page in, keeps
   the changed question where it was on the screen, redraws the preview as staff type, makes keys and values from the
   wording as they type, shows only the skip-logic choice that is picked, and asks before leaving unsaved changes.
   Saving is an ordinary form post.
   Without it every button works as a full page post. */
(function () {
  "use strict";

  var STOP = ("a an and are as at be by can do does for from how in is it of on or the their there this to was we " +
              "were what when which who why will with you your").split(" ");

  // As wfsurvey.forms.builder.make_key makes them (the server adds a number when a key is taken twice).
  function makeKey(label, joint, stopWords, prefix) {
    var words = label.replace(/['\u2019]/g, "").normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
      .toLowerCase().match(/[a-z0-9]+/g) || [];
    var kept = stopWords ? words.filter(function (w) { return STOP.indexOf(w) === -1; }) : words;
    if (!kept.length) { kept = words; }
    var key = "";
    var limit = joint === "-" ? 60 : 40;
    for (var i = 0; i < kept.length && i < (joint === "-" ? kept.length : 5); i++) {
      if (key.length + kept[i].length + 1 > limit) { break; }
      key = key ? key + joint + kept[i] : kept[i];
    }
    if (joint !== "-" && key && !/^[a-z]/.test(key)) { key = prefix + key; }
    return key;
  }

  var form, main, previewTimer = null;
  // Nothing is stored until Save: leaving with changes asks first.
  var changed = false;
  // One post at a time, in the order asked: a button pressed while the preview is being drawn waits for it.
  var queue = Promise.resolve();

  function enqueue(task) {
    queue = queue.then(task, task);
    return queue;
  }

  // form.action would be the buttons named "action": the address is read from the attribute.
  function post(action, done) {
    var data = new FormData(form);
    data.append("action", action);
    return fetch(form.getAttribute("action"), {method: "POST", body: data, credentials: "same-origin",
                                               headers: {"X-Requested-With": "builder"}})
      .then(function (response) {
        if (!response.ok && response.status !== 422) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) { done(new DOMParser().parseFromString(html, "text/html")); })
      .catch(function () { postWhole(action); });
  }

  // When the background post fails, the button's post is made the ordinary way: the server shows what went wrong.
  function postWhole(action) {
    form.removeAttribute("data-enhanced");
    var field = document.createElement("input");
    field.type = "hidden";
    field.name = "action";
    field.value = action;
    form.appendChild(field);
    HTMLFormElement.prototype.submit.call(form);
  }

  // Swap the new page in, and put the element the server chose (autofocus) where the pressed button was on screen.
  function swap(page, anchorTop) {
    var fresh = page.getElementById("builder-main");
    if (!fresh) { return; }
    main.innerHTML = fresh.innerHTML;
    document.title = page.title;
    setUp();
    var target = main.querySelector("[autofocus]");
    if (target) {
      if (anchorTop !== null) {
        window.scrollBy(0, target.getBoundingClientRect().top - anchorTop);
      } else {
        target.scrollIntoView({block: "center"});
      }
      target.focus({preventScroll: true});
    }
  }

  function refreshPreview() {
    return post("preview", function (page) {
      var fresh = page.getElementById("preview-body");
      var body = document.getElementById("preview-body");
      if (fresh && body) {
        body.innerHTML = fresh.innerHTML;
        initPreview();
      }
    });
  }

  function initPreview() {
    var answers = document.getElementById("answers");
    if (answers && window.wfsurveyRespond) { window.wfsurveyRespond.initForm(answers); }
  }

  // Show only the panel of the skip-logic choice that is picked (every panel shows without this script).
  function showRulePanels(scope) {
    var radios = scope.querySelectorAll('input[type="radio"][name$="-rule"]');
    for (var i = 0; i < radios.length; i++) {
      var choice = radios[i].closest(".rule-choice");
      var panel = choice ? choice.querySelector("[data-rule-panel]") : null;
      if (panel) { panel.hidden = !radios[i].checked; }
    }
  }

  // A key, value or short name still made from its label follows the label as it is typed.
  function follow(input) {
    var id = input.getAttribute("data-makes");
    var made = id ? document.getElementById(id) : null;
    if (!made) {
      var row = input.closest(".option-row");
      made = row ? row.querySelector(".option-value input") : null;
    }
    if (!made || made.value !== made.getAttribute("data-auto")) { return; }
    var joint = made.getAttribute("data-joint") || "_";
    var isValue = /-value$/.test(made.id);
    var key = makeKey(input.value, joint, !isValue, isValue ? "o_" : "q_");
    made.value = key;
    made.setAttribute("data-auto", key);
    var auto = form.querySelector('input[type="hidden"][name="' + made.name + '_auto"]');
    if (auto) { auto.value = key; }
  }

  function setUp() {
    form = document.getElementById("builder");
    if (!form) { return; }
    form.setAttribute("data-enhanced", "1");
    var hidden = main.querySelectorAll(".js-hidden");
    for (var i = 0; i < hidden.length; i++) { hidden[i].hidden = true; }
    showRulePanels(form);
    initPreview();
  }

  function init() {
    main = document.getElementById("builder-main");
    if (!main || !window.fetch || !window.FormData || !window.DOMParser) { return; }
    setUp();

    // A button other than Save: post it in the background and swap the page.
    document.addEventListener("submit", function (event) {
      if (event.target !== form || form.getAttribute("data-enhanced") !== "1") { return; }
      var button = event.submitter;
      var action = button && button.name === "action" ? button.value : "preview";
      if (action === "save") { changed = false; return; }
      if (action !== "preview") { changed = true; }
      event.preventDefault();
      window.clearTimeout(previewTimer);
      var top = button ? button.getBoundingClientRect().top : null;
      enqueue(function () { return post(action, function (page) { swap(page, action === "preview" ? null : top); }); });
    });

    // A changed type, a rule's question or the preview's organization type asks the server for the fitting choices.
    document.addEventListener("change", function (event) {
      var field = event.target;
      if (!form || !form.contains(field) && field.getAttribute("form") !== "builder") { return; }
      if (field.id !== "preview_org_type") { changed = true; }
      if (field.name && /-rule$/.test(field.name)) { showRulePanels(field.closest(".builder-rule")); }
      var refresh = field.getAttribute("data-refresh");
      if (refresh) {
        window.clearTimeout(previewTimer);
        var top = field.getBoundingClientRect().top;
        enqueue(function () {
          return post(refresh, function (page) {
            swap(page, refresh === "preview" ? null : top);
            var again = document.getElementById(field.id);
            if (again) { again.focus({preventScroll: true}); }
          });
        });
        return;
      }
      schedulePreview();
    });

    window.addEventListener("beforeunload", function (event) {
      if (changed) { event.preventDefault(); event.returnValue = ""; }
    });

    document.addEventListener("input", function (event) {
      var field = event.target;
      if (!form || !form.contains(field)) { return; }
      changed = true;
      if (field.hasAttribute("data-makes") || field.closest(".option-row") && /-label$/.test(field.id)) { follow(field); }
      schedulePreview();
    });
  }

  function schedulePreview() {
    window.clearTimeout(previewTimer);
    previewTimer = window.setTimeout(function () { enqueue(refreshPreview); }, 600);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
