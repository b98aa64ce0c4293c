/* The dataset page, enhanced: files dropped onto the upload form, the bytes' progress
   as they go up, and the queue's progress while files are on their way to Bria.
   Everything works without it: a plain file input, a submit button, and a refresh. */
(function () {
  "use strict";
  var POLL_MS = 5000;

  function enhanceUpload(form) {
    var input = form.querySelector("input[type=file]");
    var progress = form.querySelector("[data-upload-progress]");
    if (!input || !window.FormData || !window.XMLHttpRequest) { return; }

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
        progress.textContent = event.dataTransfer.files.length + " files chosen. Select “Add the images” to add them.";
      }
    });

    form.addEventListener("submit", function (event) {
      if (!input.files.length) { return; }
      event.preventDefault();
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.upload.addEventListener("progress", function (sent) {
        if (sent.lengthComputable) {
          progress.textContent = "Sending the files to this app: " +
            Math.round(100 * sent.loaded / sent.total) + "%";
        }
      });
      request.addEventListener("load", function () {
        window.location.assign(request.responseURL || window.location.href);
      });
      request.addEventListener("error", function () {
        progress.textContent = "The files could not be sent to this app: check the connection and add them again.";
      });
      progress.textContent = "Sending the files to this app…";
      request.send(new FormData(form));
    });
  }

  var WORDS = {
    waiting: "Waiting to be sent", sending: "Being sent to Bria", at_bria: "At Bria",
    refused: "Refused by Bria", failed: "Could not be sent"
  };

  function followQueue(section) {
    var url = section.getAttribute("data-queue-url");
    var summary = section.querySelector("[data-queue-summary]");
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
        var counts = answer.counts;
        summary.textContent = counts.at_bria + " at Bria" +
          (counts.waiting ? ", " + counts.waiting + " waiting to be sent" : "") +
          (counts.sending ? ", " + counts.sending + " being sent" : "") +
          (counts.refused ? ", " + counts.refused + " refused by Bria" : "") +
          (counts.failed ? ", " + counts.failed + " could not be sent" : "") + ".";
        if (onTheWay) { window.setTimeout(poll, POLL_MS); }
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
