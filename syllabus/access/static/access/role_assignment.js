// The role assignment form: the org-unit select only matters (and only shows) for the org-unit scope.
// Registered with Alpine.data because the CSP build of Alpine evaluates no inline expressions. Without
// JavaScript both fields simply show.
document.addEventListener("alpine:init", function () {
  "use strict";
  window.Alpine.data("roleAssignment", function () {
    return {
      scope: "organization",
      init: function () {
        var checked = this.$el.querySelector("input[name=scope]:checked");
        if (checked) {
          this.scope = checked.value;
        }
      },
      get unitScope() {
        return this.scope === "org_unit";
      },
      pickScope: function (event) {
        if (event.target instanceof HTMLInputElement && event.target.name === "scope") {
          this.scope = event.target.value;
        }
      },
    };
  });
});
