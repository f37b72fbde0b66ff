// Sign-in. Locally: paste an operator token (or open the link `make run` prints). In the cloud: the
// Cognito hosted UI. Either way the message of why we are here (expired, refused) comes first.
import { html, useState } from "../lib.js";
import { signIn } from "../auth/session.js";
import { startSignIn } from "../auth/cognito.js";
import { Notice } from "../components/notice.js";

export function SignIn({ auth, message }) {
  const [token, setToken] = useState("");
  const [problem, setProblem] = useState(null);

  const submit = (event) => {
    event.preventDefault();
    try {
      signIn(token);
    } catch (error) {
      setProblem(error.message);
    }
  };
  const hosted = async () => {
    try {
      await startSignIn(auth);
    } catch (error) {
      setProblem(error.message);
    }
  };

  return html`
    <main class="signin">
      <section class="card">
        <h1>Sign in to the CSMS dashboard</h1>
        ${message && html`<${Notice} kind="error"><span data-testid="signin-message">${message}</span><//>`}
        ${problem && html`<${Notice} kind="error"><span data-testid="signin-problem">${problem}</span><//>`}
        ${auth.mode === "cognito"
          ? html`<p>Operators sign in with their account (and its second factor).</p>
              <button class="primary" type="button" onClick=${hosted}>Sign in</button>`
          : html`<form class="stack" onSubmit=${submit}>
              <label>Operator token (JWT)
                <textarea name="token" required spellcheck="false" autocomplete="off" value=${token}
                  onInput=${(e) => setToken(e.currentTarget.value)}></textarea>
              </label>
              <div><button class="primary" type="submit">Sign in</button></div>
              <p class="muted">
                <code>make run</code> prints a link that signs you in
                (<code>http://127.0.0.1:9000/#token=…</code>); the token is also in
                <code>.local/operator-token</code>. Another tenant or role:
                <code>.venv/bin/csms-local --issue-token --tenant other --roles viewer</code>.
              </p>
            </form>`}
      </section>
    </main>
  `;
}
