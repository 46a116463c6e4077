// How the console talks to Berth: the tools API (REST), the Management API of one backend
// (JSON-RPC; Berth accepts the admin token there), and the console's own read-only endpoints.
// The admin token lives in sessionStorage only, so closing the tab signs out.

export const TOOLS = "/mobile/tools/1.0";
const TOKEN_KEY = "berth.adminToken";

export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  signIn: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  signOut: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(message, { status = 0, code = null, data = null } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.data = data;
  }
}

async function send(method, url, body, headers = {}) {
  const response = await fetch(url, {
    method,
    headers: {
      Authorization: "Bearer " + session.token(),
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  return { response, answer };
}

/** A tools API call: resolves to `{ body, etag }`, or throws ApiError with the problem's detail. */
export async function tools(method, path, body, headers) {
  const { response, answer } = await send(method, TOOLS + path, body, headers);
  if (!response.ok) {
    let message = answer.detail || answer.title || response.statusText;
    if (response.status === 412) {
      message = "Someone changed this meanwhile; reload to see the current version.";
    }
    throw new ApiError(message, { status: response.status, code: answer["o:errorCode"] });
  }
  return { body: answer, etag: response.headers.get("ETag") };
}

/** One Management API method of a backend; resolves to its result or throws its JSON-RPC error. */
export async function manage(backendId, method, params = {}) {
  const { response, answer } = await send("POST", `/manage/json-rpc/${backendId}`, {
    jsonrpc: "2.0",
    id: 1,
    method,
    params,
  });
  if (answer.error) {
    const details = answer.error.data && typeof answer.error.data === "object"
      ? Object.entries(answer.error.data).map(([name, text]) => `${name}: ${typeof text === "string" ? text : JSON.stringify(text)}`)
      : [];
    const message = [answer.error.message, ...details].join(" — ");
    throw new ApiError(message, { status: response.status, code: answer.error.code, data: answer.error.data });
  }
  if (!response.ok) {
    throw new ApiError(response.statusText, { status: response.status });
  }
  return answer.result;
}

/** The console's own endpoints under /console/api. */
export async function consoleApi(path) {
  const { response, answer } = await send("GET", "/console/api" + path);
  if (!response.ok) {
    throw new ApiError(answer.detail || response.statusText, { status: response.status });
  }
  return answer;
}
