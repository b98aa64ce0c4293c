/* Progressive enhancement for the create-project form. Everything works without it.
   The rules come from the page the server rendered (data attributes), never from here. */
(function () {
  "use strict";
  var PAUSE_MS = 1000;

  function countWords(text) {
    var words = (text || "").match(/\S+/g);
    return words ? words.length : 0;
  }

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  function focusFirst(selector) {
    var element = document.querySelector(selector);
    if (element) { element.focus(); }
  }

  function checkedValue(form, name) {
    var input = form.querySelector("input[name='" + name + "']:checked");
    return input ? input.value : "";
  }

  function showTypesFor(form) {
    var medium = checkedValue(form, "ip_medium");
    form.querySelectorAll("[data-media]").forEach(function (item) {
      var allowed = !medium || item.getAttribute("data-media").split(" ").indexOf(medium) !== -1;
      item.hidden = !allowed;
      var input = item.querySelector("input");
      if (!allowed && input.checked) { input.checked = false; }
    });
    form.querySelectorAll("[data-shown-for-medium]").forEach(function (hint) {
      hint.hidden = hint.getAttribute("data-shown-for-medium") !== medium;
    });
  }

  function showFieldsFor(form) {
    var type = checkedValue(form, "ip_type");
    form.querySelectorAll("[data-needed-by]").forEach(function (group) {
      group.hidden = group.getAttribute("data-needed-by").split(" ").indexOf(type) === -1;
    });
  }

  function wordCount(input) {
    var max = parseInt(input.getAttribute("data-max-words"), 10);
    var info = document.getElementById(input.id + "-info");
    var visible = document.createElement("p");
    var announcer = document.createElement("p");
    var timer = null;
    visible.className = "hint count-message";
    visible.setAttribute("aria-hidden", "true");
    announcer.className = "visually-hidden";
    announcer.setAttribute("aria-live", "polite");
    info.classList.add("visually-hidden");
    info.parentNode.insertBefore(visible, info.nextSibling);
    info.parentNode.insertBefore(announcer, visible.nextSibling);

    function message() {
      var left = max - countWords(input.value);
      if (left < 0) { return plural(-left, "word") + " too many"; }
      return "You have " + plural(left, "word") + " remaining";
    }
    function update() {
      visible.textContent = message();
      visible.classList.toggle("over", countWords(input.value) > max);
    }
    update();
    input.addEventListener("input", function () {
      update();
      clearTimeout(timer);
      timer = setTimeout(function () { announcer.textContent = message(); }, PAUSE_MS);
    });
  }

  function preventDoubleSubmit(form) {
    var sent = false;
    form.addEventListener("submit", function (event) {
      if (sent) { event.preventDefault(); return; }
      sent = true;
      form.querySelectorAll("[data-prevent-double-click]").forEach(function (button) {
        button.setAttribute("aria-disabled", "true");
      });
    });
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) {  /* back from the result page: the form may be sent again */
        sent = false;
        form.querySelectorAll("[aria-disabled]").forEach(function (b) { b.removeAttribute("aria-disabled"); });
      }
    });
  }

  function enhanceProjectForm(form) {
    form.addEventListener("change", function (event) {
      if (event.target.name === "ip_medium") { showTypesFor(form); showFieldsFor(form); }
      if (event.target.name === "ip_type") { showFieldsFor(form); }
    });
    showTypesFor(form);
    showFieldsFor(form);
    form.querySelectorAll("[data-max-words]").forEach(wordCount);
    preventDoubleSubmit(form);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-module='project-form']").forEach(enhanceProjectForm);
    document.querySelectorAll("[data-module='error-summary'] a").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var target = document.getElementById(link.getAttribute("href").slice(1));
        if (!target) { return; }
        event.preventDefault();
        target.scrollIntoView();
        target.focus({ preventScroll: true });
      });
    });
    focusFirst("[data-module='error-summary'], [data-module='duplicate-warning']");
  });
}());
