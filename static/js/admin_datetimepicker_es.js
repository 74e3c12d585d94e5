// Wagtail's date picker (jQuery datetimepicker) builds a hidden "Save Selected" button in
// English, which screen readers and text copies still read: give it the label the admin
// passes on this script's tag.
(function () {
  var script = document.currentScript;
  var label = script && script.dataset.saveLabel;
  if (!label) return;
  function relabel() {
    document.querySelectorAll(".xdsoft_save_selected").forEach(function (button) {
      if (button.textContent !== label) button.textContent = label;
    });
  }
  document.addEventListener("focusin", function () {
    window.setTimeout(relabel, 0);
  });
  document.addEventListener("DOMContentLoaded", relabel);
})();
