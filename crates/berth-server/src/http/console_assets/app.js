// Berth console: talks to the tools API with the admin token the operator signs in with.
// The token lives in sessionStorage only, so closing the tab signs out.
const TOOLS = "/mobile/tools/1.0";
const TOKEN_KEY = "berth.adminToken";

const $ = (id) => document.getElementById(id);

function say(text, isError = false) {
  $("message").textContent = text;
  $("message").className = isError ? "error" : "";
}

async function tools(method, path, body) {
  const response = await fetch(TOOLS + path, {
    method,
    headers: {
      Authorization: "Bearer " + sessionStorage.getItem(TOKEN_KEY),
      ...(body ? { "Content-Type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(answer.detail || answer.title || response.statusText);
    error.status = response.status;
    throw error;
  }
  return answer;
}

function cell(text, asCode = false) {
  const td = document.createElement("td");
  if (asCode) {
    const code = document.createElement("code");
    code.textContent = text;
    td.append(code);
  } else {
    td.textContent = text;
  }
  return td;
}

async function showBackends() {
  const list = await tools("GET", "/mobilebackends?limit=100");
  const rows = list.items.map((backend) => {
    const tr = document.createElement("tr");
    tr.append(
      cell(backend.name),
      cell(backend.id, true),
      cell(backend.clientId, true),
      cell(backend.inactive ? "inactive" : "active"),
    );
    return tr;
  });
  $("backend-rows").replaceChildren(...rows);
  $("sign-in").hidden = true;
  $("backends").hidden = false;
  $("sign-out").hidden = false;
}

async function signIn(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
  try {
    await showBackends();
    say("");
  } catch (error) {
    sessionStorage.removeItem(TOKEN_KEY);
    say(error.status === 401 ? "That admin token is not valid." : error.message, true);
  }
}

$("sign-in-form").addEventListener("submit", (event) => {
  event.preventDefault();
  signIn($("token").value.trim());
});

$("create-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = $("backend-name").value.trim();
  try {
    const created = await tools("POST", "/mobilebackends", { name });
    await showBackends();
    say(`Created ${created.name}. Its Monaca API key (shown once): ${created.monacaApiKey ?? "-"}`);
    $("backend-name").value = "";
  } catch (error) {
    say(error.message, true);
  }
});

$("sign-out").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  location.reload();
});

if (sessionStorage.getItem(TOKEN_KEY)) {
  signIn(sessionStorage.getItem(TOKEN_KEY));
}
