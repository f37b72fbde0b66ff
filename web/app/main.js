// Start: configuration, then sign-in (a #token= link locally, the hosted UI's return in the cloud),
// then the shell or the sign-in page, switching whenever the session changes.
import { html, render, useEffect, useState } from "./lib.js";
import { loadConfig } from "./config.js";
import { currentUser, signIn, signOut, startExpiryWatch, subscribe, takeSignInMessage } from "./auth/session.js";
import { completeSignIn, signOutUrl } from "./auth/cognito.js";
import { Shell } from "./shell.js";
import { SignIn } from "./views/signin.js";

/** #token=<jwt> signs in (the link `make run` prints); the token leaves the address bar at once. */
function tokenFromHash() {
  const match = location.hash.match(/^#token=([^&]*)/);
  if (!match) return null;
  history.replaceState(null, "", `${location.pathname}${location.search}#/`);
  return decodeURIComponent(match[1]);
}

function App({ auth }) {
  const [user, setUser] = useState(currentUser());
  const [message, setMessage] = useState(() => takeSignInMessage());
  useEffect(
    () =>
      subscribe((next) => {
        setUser(next);
        if (!next) setMessage(takeSignInMessage());
      }),
    [],
  );
  if (!user) return html`<${SignIn} auth=${auth} message=${message} />`;
  const leave = () => {
    signOut();
    if (auth.mode === "cognito") location.assign(signOutUrl(auth));
  };
  return html`<${Shell} user=${user} onSignOut=${leave} />`;
}

function failSignIn(error) {
  signOut(error.message);
}

async function start() {
  const root = document.getElementById("app");
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    root.textContent = `The dashboard cannot start: ${error.message}`;
    return;
  }
  const auth = config.auth;
  if (auth.mode === "local") {
    const signInFromHash = () => {
      const token = tokenFromHash();
      if (token === null) return;
      try {
        signIn(token);
      } catch (error) {
        failSignIn(error);
      }
    };
    signInFromHash();
    // A sign-in link opened in a tab that already shows the dashboard.
    addEventListener("hashchange", signInFromHash);
  } else {
    try {
      const idToken = await completeSignIn(auth);
      if (idToken) signIn(idToken);
    } catch (error) {
      failSignIn(error);
    }
  }
  startExpiryWatch();
  root.textContent = "";
  render(html`<${App} auth=${auth} />`, root);
}

start();
