// The measurement sliders: a slider counts as answered once she moves it (a hidden "__ingevuld" field), so an
// untouched slider is not silently a 5. "Leegmaken" makes it unanswered again. Without JavaScript the page
// posts a <noscript> field and every slider counts as it stands.
(function () {
  var form = document.getElementById("measurement-form");
  if (!form) return;
  form.querySelectorAll(".item").forEach(function (box) {
    var slider = box.querySelector("input[type=range]");
    var flag = box.querySelector("input[type=hidden][name$=__ingevuld]");
    var out = box.querySelector("output");
    var clear = box.querySelector("button.clear");
    function set(on) {
      flag.value = on ? "1" : "0";
      box.classList.toggle("unset", !on);
      out.textContent = on ? slider.value : "nog niet ingevuld";
      clear.hidden = !on;
    }
    slider.addEventListener("input", function () { set(true); });
    slider.addEventListener("change", function () { set(true); });
    clear.addEventListener("click", function () { set(false); });
    clear.hidden = flag.value !== "1";
  });
})();
