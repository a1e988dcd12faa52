// Writing tips while the buddy types (the guide's tips, §4.9). Never blocks saving; without JavaScript the tips come
// after a save attempt. The text goes only to this app's own server, with the form's CSRF token.
(function () {
  var form = document.getElementById("contact-form") || document.getElementById("coach-form");
  if (!form) return;
  var text = form.querySelector("textarea[name=text]");
  var box = document.getElementById("hints");
  var url = form.getAttribute("data-hints-url");
  var timer = null;
  function field(name) { var f = form.querySelector("[name=" + name + "]"); return f ? f.value : ""; }
  function show(hints) {
    while (box.firstChild) box.removeChild(box.firstChild);
    if (!hints.length) { box.hidden = true; return; }
    var p = document.createElement("p"); var b = document.createElement("strong");
    b.textContent = "Schrijftips (je kunt gewoon opslaan):"; p.appendChild(b); box.appendChild(p);
    var ul = document.createElement("ul");
    hints.forEach(function (h) {
      var li = document.createElement("li"); li.setAttribute("data-kind", h.kind);
      li.textContent = h.message + (h.words.length ? " (" + h.words.join(", ") + ")" : "");
      ul.appendChild(li);
    });
    box.appendChild(ul); box.hidden = false;
  }
  function ask() {
    var body = new URLSearchParams();
    body.set("csrf_token", field("csrf_token")); body.set("text", text.value);
    body.set("has_time", field("start") ? "1" : "0"); body.set("has_place", field("location") ? "1" : "0");
    body.set("type", field("type"));
    fetch(url, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : []; }).then(show).catch(function () {});
  }
  function later() { clearTimeout(timer); timer = setTimeout(ask, 600); }
  text.addEventListener("input", later);
  // The hints depend on the form too (no place hint for a call, no time hint once the times are there).
  ["start", "end", "type", "location"].forEach(function (name) {
    var f = form.querySelector("[name=" + name + "]");
    if (f) f.addEventListener("change", function () { if (text.value.trim()) later(); });
  });
})();
