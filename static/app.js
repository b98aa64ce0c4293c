/* Progressive enhancement for the forms and pages. Everything works without it.
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
    return update;
  }

  /* One send per page: a second click while the first is on its way does nothing,
     and the button says what is happening (Bria can take a while to answer). */
  function preventDoubleSubmit(form) {
    var sent = false;
    var buttons = document.querySelectorAll(
      "#" + form.id + " [data-prevent-double-click], [form='" + form.id + "'][data-prevent-double-click]"
    );
    var status = form.querySelector("[data-busy-message]");

    function reset() {
      sent = false;
      buttons.forEach(function (button) {
        button.removeAttribute("aria-disabled");
        if (button.hasAttribute("data-idle-text")) {
          button.textContent = button.getAttribute("data-idle-text");
        }
      });
      if (status) { status.textContent = ""; }
    }
    form.addEventListener("submit", function (event) {
      if (sent) { event.preventDefault(); return; }
      sent = true;
      var pressed = event.submitter;
      buttons.forEach(function (button) {
        button.setAttribute("aria-disabled", "true");
        var busy = button.getAttribute("data-busy-text");
        if (busy && (!pressed || button === pressed)) {
          button.setAttribute("data-idle-text", button.textContent);
          button.textContent = busy;
        }
      });
      if (status) { status.textContent = status.getAttribute("data-busy-message"); }
    });
    return reset;
  }

  function enhanceForm(form) {
    var refreshers = [];
    form.addEventListener("change", function (event) {
      if (event.target.name === "ip_medium") { showTypesFor(form); showFieldsFor(form); }
      if (event.target.name === "ip_type") { showFieldsFor(form); }
    });
    function applyRules() { showTypesFor(form); showFieldsFor(form); }
    applyRules();
    form.querySelectorAll("[data-max-words]").forEach(function (input) {
      refreshers.push(wordCount(input));
    });
    var reset = preventDoubleSubmit(form);
    /* Back to this page: the browser puts back the answers after the script first
       looked (or keeps the whole page, in the back-forward cache), so show the fields
       of the choices it restored; a page kept whole may be sent again. */
    window.addEventListener("pageshow", function (event) {
      applyRules();
      refreshers.forEach(function (refresh) { refresh(); });
      if (event.persisted) { reset(); }
    });
  }

  function preventDoubleSubmitElsewhere(form) {
    if (form.id) { return; }
    var sent = false;
    form.addEventListener("submit", function (event) {
      if (sent) { event.preventDefault(); return; }
      sent = true;
      form.querySelectorAll("[data-busy-text]").forEach(function (button) {
        button.setAttribute("aria-disabled", "true");
        button.textContent = button.getAttribute("data-busy-text");
      });
    });
    window.addEventListener("pageshow", function (event) { if (event.persisted) { sent = false; } });
  }

  /* Times arrive in UTC; show them in the person's own time zone, named. */
  function localTimes() {
    if (!window.Intl || !Intl.DateTimeFormat) { return; }
    var format = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
      day: "numeric", month: "long", year: "numeric",
      hour: "2-digit", minute: "2-digit", timeZoneName: "short"
    });
    document.querySelectorAll("time[data-local-time]:not([title])").forEach(function (element) {
      var moment = new Date(element.getAttribute("datetime"));
      if (!isNaN(moment.getTime())) {
        element.setAttribute("title", element.textContent);
        element.textContent = format.format(moment);
      }
    });
  }
  /* A page's script that adds times to it says so with this event. */
  document.addEventListener("webapp:times-added", localTimes);

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-module='project-form']").forEach(enhanceForm);
    document.querySelectorAll("form:not([data-module='project-form'])").forEach(
      preventDoubleSubmitElsewhere
    );
    /* A link to a field moves the focus there, not only the view (and selects a name
       to change, from the duplicate warning). */
    document.querySelectorAll(
      "[data-module='error-summary'] a[href^='#'], [data-module='warning'] a[href^='#']"
    ).forEach(function (link) {
      link.addEventListener("click", function (event) {
        var target = document.getElementById(link.getAttribute("href").slice(1));
        if (!target) { return; }
        event.preventDefault();
        target.scrollIntoView();
        target.focus({ preventScroll: true });
        if (target.select && link.closest("[data-module='warning']")) { target.select(); }
      });
    });
    localTimes();
    focusFirst("[data-module='error-summary'], [data-module='warning']");
  });
}());
