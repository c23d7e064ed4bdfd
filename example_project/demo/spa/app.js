// A single-page app signing on through django-pingone-authorize's headless API (browser client).
// Plain fetch, no framework; CSP-clean (no inline script or style, no eval, DOM built with textContent).
"use strict";

const API = "/pingone/headless/browser/";
const ALIAS = document.documentElement.dataset.alias || "embedded";
const TITLES = {
  USERNAME_PASSWORD_REQUIRED: "Sign on",
  SIGN_ON_REQUIRED: "Sign on",
  PASSWORD_REQUIRED: "Your password",
  MUST_CHANGE_PASSWORD: "Change your password",
  PASSWORD_EXPIRED: "Your password has expired",
  VERIFICATION_CODE_REQUIRED: "Verify your email address",
  DEVICE_SELECTION_REQUIRED: "Choose a device",
  OTP_REQUIRED: "Enter your one-time code",
  PUSH_CONFIRMATION_REQUIRED: "Approve the sign-on on your phone",
  PUSH_CONFIRMATION_TIMED_OUT: "The approval timed out",
};
const LABELS = {
  username: "Username", password: "Password", current_password: "Current password",
  new_password: "New password", otp: "One-time code", verification_code: "Verification code",
};
let pollTimer = null;

function csrfToken() {
  const found = document.cookie.split("; ").find((item) => item.startsWith("csrftoken="));
  return found ? decodeURIComponent(found.slice("csrftoken=".length)) : "";
}

async function call(method, route, body) {
  const response = await fetch(API + route, {
    method,
    credentials: "same-origin",
    headers: method === "GET" ? {} : { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

function show(id) {
  for (const section of ["signed-out", "step", "signed-on"]) {
    document.getElementById(section).hidden = section !== id;
  }
}

function element(tag, attributes, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function signedOn(user) {
  clearTimeout(pollTimer);
  document.getElementById("who").textContent = "Signed on as " + user.username;
  show("signed-on");
}

// What an answer leads to: the next step, the end, or a refusal (shown with the step again).
function follow(answer) {
  document.getElementById("error").textContent = "";
  if (answer.status === 200 && answer.body.status === "COMPLETED") return signedOn(answer.body.user);
  if (answer.status === 200 && answer.body.status === "CANCELLED") return show("signed-out");
  if (answer.status === 200) return render(answer.body, "");
  if (answer.body.step) return render(answer.body.step, answer.body.message);
  if (answer.status === 429) return;  // a poll too soon: the timer asks again
  document.getElementById("error").textContent = answer.body.message;
  show("signed-out");
}

function answerStep(step, action, fields) {
  return call("POST", "signon/step/", { step: step.step, action, fields }).then(follow);
}

function render(step, message) {
  clearTimeout(pollTimer);
  show("step");
  document.getElementById("step-title").textContent = TITLES[step.status] || step.status;
  document.getElementById("step-message").textContent = message || step.message;
  const body = document.getElementById("step-body");
  body.replaceChildren();
  body.dataset.status = step.status;
  if (!step.supported) {
    body.append(element("a", { href: step.redirect_sign_on_url }, "Continue on PingOne's sign-on page"));
    return;
  }
  for (const { action, fields } of step.actions) {
    if (action === "device.select") {
      for (const device of step.devices) {
        const button = element("button", { type: "button", "data-device": device.id }, device.label || device.masked);
        button.addEventListener("click", () => answerStep(step, action, { device: device.id }));
        body.append(button);
      }
      continue;
    }
    const form = element("form", { "data-action": action });
    for (const field of fields) {
      const id = "field-" + field.name;
      form.append(element("label", { for: id }, LABELS[field.name] || field.name));
      const input = element("input", {
        id, name: field.name, type: field.kind === "secret" ? "password" : "text", required: "",
      });
      if (field.name === "username" && step.username) input.value = step.username;
      form.append(input);
    }
    form.append(element("button", { type: "submit" }, action === "user.sendVerificationCode" ? "Send a new code" : "Continue"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const values = Object.fromEntries(new FormData(form).entries());
      answerStep(step, action, values);
    });
    body.append(form);
  }
  for (const provider of step.providers) {
    // The site's own URL: a redirect sign-on in this browser, which comes back to this page (next).
    body.append(element("a", { href: provider.url, class: "provider" }, "Sign on with " + provider.name));
  }
  if (step.status === "PUSH_CONFIRMATION_REQUIRED") {
    pollTimer = setTimeout(() => call("POST", "signon/poll/").then(follow), (step.poll_after || 2) * 1000);
  }
}

async function start() {
  const answer = await call("POST", "signon/", { alias: ALIAS, next: location.pathname });
  follow(answer);
}

async function load() {
  document.getElementById("start").addEventListener("click", start);
  document.getElementById("cancel").addEventListener("click", () => call("DELETE", "signon/").then(follow));
  document.getElementById("logout").addEventListener("click", async () => {
    await call("DELETE", "session/");
    show("signed-out");
  });
  const session = await call("GET", "session/");
  if (session.body.signed_on) return signedOn(session.body.user);
  const current = await call("GET", "signon/");
  if (current.status === 200) return render(current.body, "");
  show("signed-out");
}

document.addEventListener("DOMContentLoaded", load);
