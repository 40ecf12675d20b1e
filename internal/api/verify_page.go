package api

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
)

// zengo has no dashboard, but `zenml login <url>` sends the user to the
// dashboard's /devices/verify page to approve the device. This one page
// stands in for it: the user signs in and approves the device with the
// same two requests the dashboard sends (POST /api/v1/login, PUT
// /api/v1/devices/{id}/verify). It is static; its script reads the
// device id and user code from the page's address and writes only text.

const verifyScript = `
const q = new URLSearchParams(location.search);
const base = location.pathname.replace(/\/devices\/verify\/?$/, "");
const $ = (id) => document.getElementById(id);
$("code").value = q.get("user_code") || "";
$("form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const out = $("out");
  out.textContent = "Approving…";
  try {
    const login = await fetch(base + "/api/v1/login", {method: "POST", body: new URLSearchParams({username: $("user").value, password: $("pw").value})});
    if (!login.ok) throw new Error("Sign-in failed: wrong username or password.");
    const token = (await login.json()).access_token;
    const r = await fetch(base + "/api/v1/devices/" + encodeURIComponent(q.get("device_id") || "") + "/verify", {
      method: "PUT",
      headers: {"Authorization": "Bearer " + token, "Content-Type": "application/json"},
      body: JSON.stringify({user_code: $("code").value.trim(), trusted_device: $("trusted").checked}),
    });
    const body = await r.json();
    if (!r.ok) throw new Error(Array.isArray(body.detail) ? body.detail[1] : JSON.stringify(body.detail));
    out.textContent = "Approved: the device is signed in as " + $("user").value + ". You can close this page.";
  } catch (err) {
    out.textContent = err.message;
  }
});
`

var verifyPage = `<!doctype html>
<html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>zengo: approve a device</title>
<style>body{font-family:system-ui,sans-serif;max-width:34em;margin:3em auto;padding:0 1em}label{display:block;margin:.8em 0}input[type=text],input[type=password]{width:100%}</style>
<h1>Approve a device login</h1>
<p>A <code>zenml login</code> is waiting for your approval. Check that the user code matches the one it printed, then sign in: the device will act as you.</p>
<form id="form">
<label>User code <input id="code" type="text" required autocomplete="off"></label>
<label>Username <input id="user" type="text" required autocomplete="username"></label>
<label>Password <input id="pw" type="password" autocomplete="current-password"></label>
<label><input id="trusted" type="checkbox"> Trust this device (its login lasts longer where logins expire)</label>
<button>Approve</button>
</form>
<p id="out" role="status"></p>
<script>` + verifyScript + `</script>
</html>
`

// verifyPageCSP allows this page's own script and nothing else.
var verifyPageCSP = func() string {
	sum := sha256.Sum256([]byte(verifyScript))
	csp := securityHeaders["Content-Security-Policy"]
	return strings.Replace(csp, "default-src 'none';", "default-src 'none'; script-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"';", 1)
}()

// serveVerifyPage is GET /devices/verify.
func serveVerifyPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", verifyPageCSP)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(verifyPage))
}
