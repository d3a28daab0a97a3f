"use strict";
// Sign in: trade the password for a token, remember who is signed in, land on the page of the role.
document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new URLSearchParams({
    username: document.getElementById("username").value,
    password: document.getElementById("password").value,
  });
  try {
    const answer = await Dispatch.api("/auth/token", {method: "POST", body: form, noRedirect: true});
    sessionStorage.setItem(Dispatch.TOKEN, answer.access_token);
    const me = await Dispatch.api("/users/me", {noRedirect: true});
    sessionStorage.setItem(Dispatch.USER, JSON.stringify(me));
    location.assign(Dispatch.LANDING[me.role] || "/login");
  } catch (error) {
    Dispatch.say("login-error", "Sign-in failed: " + error.message, true);
  }
});
