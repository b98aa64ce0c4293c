/* The dataset page, enhanced: files dropped onto the upload form, the bytes' progress
   as they go up (and, when the app refuses them, why, with the form ready again), and
   the queue's progress while files are on their way to Bria.
   Everything works without it: a plain file input, a submit button, and a refresh. */
(function () {
  "use strict";
  var POLL_MS = 5000;

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  /* What a page of this app says went wrong (its heading and first paragraph). */
  function pageWords(html) {
    if (!html || !window.DOMParser) { return ""; }
    var page = new DOMParser().parseFromString(html, "text/html");
    var heading = page.querySelector("main h1");
    var paragraph = page.querySelector("main h1 ~ p");
    return [heading, paragraph].filter(Boolean).map(function (element) {
      return element.textContent.trim().replace(/\.$/, "");
    }).join(": ");
  }

  function enhanceUpload(form) {
    var input = form.querySelector("input[type=file]");
    var progress = form.querySelector("[data-upload-progress]");
    var button = form.querySelector("button[type=submit]");
    var hint = form.querySelector("[data-drop-hint]");
    var sending = false;
    if (!input || !window.FormData || !window.XMLHttpRequest) { return; }
    if (hint) { hint.hidden = false; }

    ["dragenter", "dragover"].forEach(function (name) {
      form.addEventListener(name, function (event) {
        event.preventDefault();
        form.classList.add("dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      form.addEventListener(name, function () { form.classList.remove("dragging"); });
    });
    form.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        progress.textContent = plural(event.dataTransfer.files.length, "file") +
          " chosen. Select “Add the images” to add them.";
      }
    });

    function busy(on) {
      sending = on;
      if (!button) { return; }
      if (on) {
        button.setAttribute("data-idle-text", button.textContent);
        button.setAttribute("aria-disabled", "true");
        button.textContent = button.getAttribute("data-busy-text") || button.textContent;
      } else {
        button.removeAttribute("aria-disabled");
        button.textContent = button.getAttribute("data-idle-text") || button.textContent;
      }
    }

    function failed(words) {
      busy(false);
      progress.textContent = words;
    }

    /* Before the page's general one-send-per-form guard (app.js): this form says itself
       when it may be sent again, after a failure. */
    form.addEventListener("submit", function (event) {
      if (!input.files.length) { return; }
      event.preventDefault();
      event.stopImmediatePropagation();
      if (sending) { return; }
      busy(true);
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.upload.addEventListener("progress", function (sent) {
        if (sent.lengthComputable) {
          progress.textContent = "Sending the files to this app: " +
            Math.round(100 * sent.loaded / sent.total) + "%";
        }
      });
      request.addEventListener("load", function () {
        if (request.status >= 200 && request.status < 400) {
          window.location.assign(request.responseURL || window.location.href);
          return;
        }
        var said = pageWords(request.responseText);
        failed("The images were not added. " + (said ? said + "." :
          "Nothing was sent to Bria: choose the images again and add them."));
      });
      request.addEventListener("error", function () {
        failed("The files could not be sent to this app: check the connection and add them again.");
      });
      progress.textContent = "Sending the files to this app…";
      request.send(new FormData(form));
    }, true);

    window.addEventListener("pageshow", function (event) { if (event.persisted) { busy(false); } });
  }

  var WORDS = {
    waiting: "Waiting to be sent", sending: "Being sent to Bria", at_bria: "At Bria",
    refused: "Refused by Bria", failed: "Could not be sent"
  };

  function summaryOf(counts) {
    return counts.at_bria + " at Bria" +
      (counts.waiting ? ", " + counts.waiting + " waiting to be sent" : "") +
      (counts.sending ? ", " + counts.sending + " being sent" : "") +
      (counts.refused ? ", " + counts.refused + " refused by Bria" : "") +
      (counts.failed ? ", " + counts.failed + " could not be sent" : "") + ".";
  }

  function followQueue(section) {
    var url = section.getAttribute("data-queue-url");
    var summary = section.querySelector("[data-queue-summary]");
    /* Said once, when every file has arrived or been refused: not at every change. */
    var news = document.createElement("p");
    news.className = "visually-hidden";
    news.setAttribute("role", "status");
    section.insertBefore(news, summary.nextSibling);
    function poll() {
      var request = new XMLHttpRequest();
      request.open("GET", url);
      request.responseType = "json";
      request.addEventListener("load", function () {
        var answer = request.response;
        if (!answer || !answer.uploads) { return; }
        var onTheWay = 0;
        Object.keys(answer.uploads).forEach(function (id) {
          var state = answer.uploads[id].state;
          if (state === "waiting" || state === "sending") { onTheWay += 1; }
          var card = section.querySelector("[data-upload-id='" + id + "'] [data-state]");
          if (card && WORDS[state] && card.textContent !== WORDS[state]) {
            card.textContent = WORDS[state];
            card.className = "state state-" + state;
          }
        });
        summary.textContent = summaryOf(answer.counts);
        if (onTheWay) {
          window.setTimeout(poll, POLL_MS);
        } else {
          news.textContent = "No file is on its way any more: " + summaryOf(answer.counts) +
            " Refresh the page to see the pictures and Bria's reasons.";
        }
      });
      request.send();
    }
    window.setTimeout(poll, POLL_MS);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-module='upload']").forEach(enhanceUpload);
    document.querySelectorAll("[data-on-the-way][data-queue-url]").forEach(followQueue);
  });
}());
