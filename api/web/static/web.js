/* The little the pages need a script for: sorting tables, following a planning job, and
   checking an upload's size before it is sent. Every page works without it. */
"use strict";

(function () {
  var money = new Intl.NumberFormat("en-GB", { style: "currency", currency: "GBP" });
  var whole = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 0 });

  /* Sortable tables: each column heading becomes a button; aria-sort tells which way. */
  function sortKey(cell, numeric) {
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
    if (!numeric) return raw;
    var value = parseFloat(raw.replace(/[£,\s]/g, "").replace("−", "-"));
    return isNaN(value) ? -Infinity : value;
  }

  function sortTable(table, th) {
    var headers = Array.prototype.slice.call(th.parentNode.children);
    var index = headers.indexOf(th);
    var numeric = th.getAttribute("data-type") !== "text";
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var collator = new Intl.Collator("en-GB", { numeric: true, sensitivity: "base" });
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = sortKey(a.cells[index], numeric);
      var y = sortKey(b.cells[index], numeric);
      var order = numeric ? x - y : collator.compare(x, y);
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  function makeSortable(table) {
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (th) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () { sortTable(table, th); });
    });
  }

  /* A planning job: poll the API, move the bar, say when it is done. */
  var STAGES = {
    starting: "Starting",
    loading: "Loading the roads and travel times",
    solving: "Searching for routes",
    saving: "Saving the plan",
    done: "Finished"
  };
  /* The run's phases, as the solver reports them (the same as the command line's). */
  var PHASES = {
    load: "Loading the dataset",
    roads: "Loading the roads and travel times",
    model: "Building the routing model",
    "first routes": "Finding first routes",
    improving: "Improving the routes",
    checking: "Checking the plan",
    writing: "Saving the plan and writing its map, sheets and finance report",
    done: "Saving the plan"
  };

  /* The run's own share done, as its tracker reports it (one model with the command line's,
     which never goes back): nothing done until the run says otherwise. */
  function fraction(job) {
    if (job.status === "succeeded") return 1;
    if (job.status !== "running") return 0;
    return typeof job.fraction === "number" ? job.fraction : 0;
  }

  function statusText(job) {
    if (job.status === "queued") return "Waiting for a free solver";
    if (job.status === "running") {
      return "Planning: " + (PHASES[job.phase] || STAGES[job.stage] || "working");
    }
    if (job.status === "succeeded") return "Finished: the plan is ready";
    return "Stopped";
  }

  function followJob(box) {
    var url = box.getAttribute("data-job-url");
    var bar = document.getElementById("job-bar");
    var percent = document.getElementById("job-percent");
    var status = document.getElementById("job-status");
    var said = "";

    function show(job) {
      var share = fraction(job);
      bar.value = Math.round(share * 100);
      bar.setAttribute("aria-valuetext", Math.round(share * 100) + " percent");
      percent.textContent = Math.round(share * 100) + "%";
      var text = statusText(job);
      if (text !== said) {
        said = text;
        status.innerHTML = "";
        var tag = document.createElement("span");
        tag.className = "tag tag-" + job.status;
        tag.textContent = text;
        status.appendChild(tag);
      }
      document.getElementById("job-cost").textContent =
        job.best_cost_gbp === null ? "–" : money.format(job.best_cost_gbp);
      document.getElementById("job-solutions").textContent = whole.format(job.solutions_found);
      document.getElementById("job-unplaced").textContent =
        job.unplaced === null || job.unplaced === undefined ? "–" : whole.format(job.unplaced);
      var time = job.elapsed_s === null ? "–" : whole.format(job.elapsed_s) + " s";
      if (job.status === "running" && typeof job.estimate_s === "number") {
        time += " of about " + whole.format(job.estimate_s) + " s";
      }
      document.getElementById("job-time").textContent = time;
    }

    function finish(job) {
      if (job.status === "succeeded" && job.plan_id) {
        var cancel = document.getElementById("job-cancel");
        if (cancel) cancel.hidden = true;
        var link = document.getElementById("job-plan-link");
        link.href = "/plan/" + job.plan_id;
        document.getElementById("job-result").hidden = false;
        link.focus();
      } else {
        window.location.reload(); /* the page then says why it stopped */
      }
    }

    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (response.status === 401) { window.location.reload(); return null; }
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (job) {
          if (job === null) return;
          show(job);
          if (job.status === "queued" || job.status === "running") window.setTimeout(poll, 1000);
          else finish(job);
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }

    var initial = box.getAttribute("data-status");
    if (initial === "queued" || initial === "running") poll();
    else percent.textContent = bar.value + "%";
  }

  /* An upload over the service's limit is refused: say so before sending it. */
  function checkUploadSize(form) {
    var limit = parseInt(form.getAttribute("data-max-bytes"), 10);
    var input = form.querySelector("input[type=file]");
    var error = document.getElementById("files-error");
    form.addEventListener("submit", function (event) {
      var total = 0;
      Array.prototype.forEach.call(input.files, function (f) { total += f.size; });
      if (limit && total > limit) {
        event.preventDefault();
        error.textContent = "Error: the files come to " + (total / 1048576).toFixed(1) +
          " MB; the service accepts at most " + (limit / 1048576).toFixed(1) + " MB.";
        error.hidden = false;
        input.setAttribute("aria-invalid", "true");
        input.focus();
      }
    });
  }

  /* The plan page's tab bar: CSS shows the section named in the address; this only tells
     screen readers which tab that is (aria-current). */
  function markTabs(bar) {
    var links = bar.querySelectorAll("a[href^='#']");
    function mark() {
      var target = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
      var panel = target && target.closest(".tab-panel");
      var shown = panel ? panel.id : "summary";
      Array.prototype.forEach.call(links, function (a) {
        if (a.getAttribute("href") === "#" + shown) a.setAttribute("aria-current", "true");
        else a.removeAttribute("aria-current");
      });
    }
    window.addEventListener("hashchange", mark);
    mark();
  }

  // A table wider than its box (a phone held upright) says so under it, and its box takes the
  // keyboard focus so the arrow keys scroll it.
  function markOverflow() {
    Array.prototype.forEach.call(document.querySelectorAll(".table-scroll"), function (box) {
      var wide = box.scrollWidth > box.clientWidth + 1;
      if (wide) {
        box.setAttribute("data-overflows", "");
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        var caption = box.querySelector("caption");
        box.setAttribute("aria-label", (caption ? caption.textContent + ": " : "") + "scrolls sideways");
      } else {
        box.removeAttribute("data-overflows");
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("table[data-sortable]"), makeSortable);
    markOverflow();
    window.addEventListener("resize", markOverflow);
    window.addEventListener("hashchange", markOverflow);
    var tabs = document.querySelector("nav.tab-bar");
    if (tabs) markTabs(tabs);
    var job = document.getElementById("job");
    if (job) followJob(job);
    var upload = document.querySelector("form[data-max-bytes]");
    if (upload) checkUploadSize(upload);
    var first = document.querySelector("[data-focus]");
    if (first) first.focus();
  });
})();
