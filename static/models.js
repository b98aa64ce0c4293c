/* A model's page, kept current while it is open: its state, how old that is, the time
   so far and the timeline while it trains, and each image asked for until it is made.
   Without it, the page says the same on reload. The words come from the server. */
(function () {
  "use strict";
  var TRAINING_MS = 10000;
  var PENDING_MS = 500;

  function follow(panel) {
    var url = panel.getAttribute("data-live-url");
    var shownStatus = panel.getAttribute("data-status");
    var training = panel.hasAttribute("data-training");
    var pending = panel.hasAttribute("data-pending");
    var timeline = document.querySelector("[data-timeline]");
    var timer = null;

    function text(selector, value) {
      var element = panel.querySelector(selector);
      if (element && value && element.textContent !== value) { element.textContent = value; }
    }

    function showTimeline(events) {
      if (!timeline) { return; }
      var first = timeline.querySelector("li:first-child");
      var keep = first && !first.hasAttribute("data-event") ? first : null;
      var fresh = document.createDocumentFragment();
      if (keep) { fresh.appendChild(keep); }
      events.forEach(function (event) {
        var item = document.createElement("li");
        item.setAttribute("data-event", "");
        var words = document.createElement("span");
        words.textContent = event.words;
        var moment = document.createElement("time");
        moment.setAttribute("datetime", event.iso);
        moment.setAttribute("data-local-time", "");
        moment.textContent = event.text;
        item.appendChild(words);
        item.appendChild(document.createTextNode(" "));
        item.appendChild(moment);
        fresh.appendChild(item);
      });
      timeline.textContent = "";
      timeline.appendChild(fresh);
      document.dispatchEvent(new CustomEvent("webapp:times-added"));
    }

    function tell(words) {
      /* Screen readers hear of an image that arrives, as others see it appear. */
      var news = document.querySelector("[data-gallery-news]");
      if (news) { news.textContent = words; }
    }

    function showGallery(gallery) {
      var stillPending = false;
      var told = [];
      gallery.forEach(function (made) {
        var item = document.querySelector("[data-generation-id='" + made.id + "']");
        if (made.state === "asked") { stillPending = true; }
        if (!item || item.getAttribute("data-state") === made.state) { return; }
        item.setAttribute("data-state", made.state);
        var picture = item.querySelector("[data-picture]");
        picture.textContent = "";
        if (made.image) {
          var link = document.createElement("a");
          link.href = made.image;
          var image = document.createElement("img");
          image.src = made.image;
          image.alt = made.alt;
          link.appendChild(image);
          picture.appendChild(link);
          if (made.download && !item.querySelector("[data-download]")) {
            item.appendChild(downloadLink(made));
          }
        } else {
          var words = document.createElement("p");
          words.className = "gallery-state state-" + made.state;
          words.textContent = made.words;
          picture.appendChild(words);
        }
        if (made.news) { told.push(made.news); }
      });
      if (told.length) { tell(told.join(" ")); }
      pending = stillPending;
    }

    function downloadLink(made) {
      /* As the page writes it: "Download", and which image for screen readers. */
      var paragraph = document.createElement("p");
      paragraph.setAttribute("data-download", "");
      var link = document.createElement("a");
      link.href = made.download;
      link.appendChild(document.createTextNode("Download"));
      var hint = document.createElement("span");
      hint.className = "visually-hidden";
      hint.textContent = made.download_hint;
      link.appendChild(hint);
      paragraph.appendChild(link);
      return paragraph;
    }

    function poll() {
      var request = new XMLHttpRequest();
      request.open("GET", url);
      request.responseType = "json";
      request.addEventListener("load", function () {
        var answer = request.response;
        if (request.status !== 200 || !answer) { schedule(); return; }
        if (answer.status !== shownStatus) {
          /* What can be done with the model has changed: show the page as it now is. */
          window.location.reload();
          return;
        }
        text("[data-status-words]", answer.words);
        text("[data-read-age]", answer.read);
        text("[data-progress]", answer.progress);
        training = answer.training;
        if (training) { showTimeline(answer.timeline); }
        showGallery(answer.gallery);
        schedule();
      });
      request.addEventListener("error", schedule);
      request.send();
    }

    function schedule() {
      clearTimeout(timer);
      if (pending) { timer = setTimeout(poll, PENDING_MS); }
      else if (training) { timer = setTimeout(poll, TRAINING_MS); }
    }

    schedule();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live-url]").forEach(follow);
  });
}());
