// The editor's live reading preview and the "add to lexicon" box. No library, no network but this console.
(function () {
  "use strict";
  var body = document.getElementById("body");
  var preview = document.getElementById("preview");
  var form = document.getElementById("lexicon-form");
  if (!body || !preview) { return; }
  var csrf = document.querySelector('input[name="csrf_token"]').value;
  var timer = null;
  var sent = 0;

  function refresh() {
    var number = ++sent;
    var data = new URLSearchParams();
    data.append("body", body.value);
    fetch(body.dataset.preview, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf }
    }).then(function (r) { return r.ok ? r.text() : null; }).then(function (html) {
      if (html !== null && number === sent) { preview.innerHTML = html; preview.dataset.fresh = String(number); }
    });
  }

  body.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  });

  preview.addEventListener("click", function (event) {
    var mark = event.target.closest("button.mark");
    if (!mark || !form) { return; }
    form.hidden = false;
    document.getElementById("lex-written").value = mark.dataset.written;
    document.getElementById("lex-spoken").value = mark.dataset.said || "";
    document.getElementById("lex-result").textContent = "";
    document.getElementById("lex-spoken").focus();
  });

  if (form) {
    document.getElementById("lex-cancel").addEventListener("click", function () { form.hidden = true; });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var result = document.getElementById("lex-result");
      fetch(form.dataset.action, {
        method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf }
      }).then(function (r) { return r.json(); }).then(function (answer) {
        result.textContent = answer.message;
        result.className = answer.ok ? "notice" : "error";
        if (answer.ok) { refresh(); }
      });
    });
  }
}());
