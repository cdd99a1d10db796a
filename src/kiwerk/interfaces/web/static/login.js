"use strict";
(function () {
  const form = document.getElementById("login-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    kiwerk.clearError("login-error");
    const username = form.username.value.trim();
    const password = form.password.value;
    if (!username || !password) {
      kiwerk.showError("login-error", "Enter your user name and password.");
      return;
    }
    try {
      await kiwerk.api("/auth/session", {
        method: "POST", json: { username, password }, noRedirect: true,
      });
      location.assign(form.dataset.next || "/ui/");
    } catch (error) {
      const text = error.status === 401 ? "Wrong user name or password." : error.message;
      kiwerk.showError("login-error", text);
      form.password.value = "";
      form.password.focus();
    }
  });
})();
